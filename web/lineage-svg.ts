import dagre from '@dagrejs/dagre';
import type { LineageGraph, LineageNode } from './types';

const SVG = 'http://www.w3.org/2000/svg';
const FILL: Record<LineageNode['kind'], string> = { dataset: '#e3f2fd', 'view-version': '#e8f5e9', 'training-set': '#fff3e0', run: '#f3e5f5' };

/**
 * Lays a lineage graph out left to right with dagre (layered layout: datasets, then view versions,
 * training sets, runs) and draws it as SVG: one <g class="node"> per node, one <path class="edge">
 * per edge, so tests and people can count them. `href(node)` makes a node a link.
 */
export function lineageSvg(graph: LineageGraph, href: (node: LineageNode) => string | null, focus: string | null): SVGSVGElement {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 70, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: Math.min(260, 30 + n.label.length * 7), height: 28 });
  for (const e of graph.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const size = g.graph();
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(Math.ceil(size.width ?? 0)));
  svg.setAttribute('height', String(Math.ceil(size.height ?? 0)));
  svg.setAttribute('data-testid', 'lineage-graph');
  svg.appendChild(arrowHead());
  for (const e of graph.edges) {
    const points: Array<{ x: number; y: number }> = g.edge(e.from, e.to).points;
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', points.map((p: { x: number; y: number }, i: number) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' '));
    path.setAttribute('class', 'edge');
    path.setAttribute('data-from', e.from);
    path.setAttribute('data-to', e.to);
    path.setAttribute('marker-end', 'url(#arrow)');
    svg.appendChild(path);
  }
  for (const n of graph.nodes) {
    const box = g.node(n.id);
    const group = document.createElementNS(SVG, 'g');
    group.setAttribute('class', `node ${n.kind}${n.id === focus ? ' focus' : ''}`);
    group.setAttribute('data-id', n.id);
    group.setAttribute('transform', `translate(${(box.x - box.width / 2).toFixed(1)},${(box.y - box.height / 2).toFixed(1)})`);
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('width', String(box.width));
    rect.setAttribute('height', String(box.height));
    rect.setAttribute('rx', '5');
    rect.setAttribute('fill', FILL[n.kind]);
    const text = document.createElementNS(SVG, 'text');
    text.setAttribute('x', '8');
    text.setAttribute('y', '18');
    text.textContent = n.label;
    group.append(rect, text);
    const target = href(n);
    if (target) {
      const a = document.createElementNS(SVG, 'a');
      a.setAttribute('href', target);
      if (/^https?:/.test(target)) a.setAttribute('target', '_blank');
      a.appendChild(group);
      svg.appendChild(a);
    } else svg.appendChild(group);
  }
  return svg;
}

/** The nodes reachable from `start` following edges forwards and backwards (its lineage both ways). */
export function neighbourhood(graph: LineageGraph, start: string): LineageGraph {
  const reach = (next: (id: string) => string[]): string[] => {
    const seen = new Set([start]);
    const queue = [start];
    while (queue.length) for (const id of next(queue.shift()!)) if (!seen.has(id)) seen.add(id), queue.push(id);
    return [...seen];
  };
  const keep = new Set([...reach((id) => graph.edges.filter((e) => e.from === id).map((e) => e.to)), ...reach((id) => graph.edges.filter((e) => e.to === id).map((e) => e.from))]);
  return { nodes: graph.nodes.filter((n) => keep.has(n.id)), edges: graph.edges.filter((e) => keep.has(e.from) && keep.has(e.to)) };
}

function arrowHead(): SVGDefsElement {
  const defs = document.createElementNS(SVG, 'defs');
  const marker = document.createElementNS(SVG, 'marker');
  for (const [k, v] of Object.entries({ id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto' })) marker.setAttribute(k, v);
  const tip = document.createElementNS(SVG, 'path');
  tip.setAttribute('d', 'M0,0 L10,5 L0,10 z');
  tip.setAttribute('fill', '#607d8b');
  marker.appendChild(tip);
  defs.appendChild(marker);
  return defs;
}
