// Live order status (contract, "Live order status") read with fetch and a stream reader:
// EventSource cannot send the Authorization header. Reconnects with Last-Event-ID until the
// order reaches a final state; while the stream cannot be had, the order is read once per
// retry, so the page still moves on.
import { get } from './api.js';
import * as session from './session.js';

export const FINAL = new Set(['DELIVERED', 'REJECTED', 'CANCELLED']);
const RETRY_MS = [500, 1000, 2000, 4000];

/** Calls onOrder(order) for every state seen; onMode('stream' | 'poll') says how. */
export async function followOrder(orderId, { signal, onOrder, onMode = () => {} }) {
  const path = `/v1/orders/${encodeURIComponent(orderId)}/events`;
  let lastEventId = null;
  let status = null;
  let failures = 0;
  const seen = (order) => {
    status = order.status;
    onOrder(order);
  };
  while (!signal.aborted && !FINAL.has(status)) {
    try {
      const headers = { Accept: 'text/event-stream' };
      if (session.token()) headers.Authorization = `Bearer ${session.token()}`;
      if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
      const response = await fetch(path, { headers, signal, cache: 'no-store' });
      const type = response.headers.get('content-type') || '';
      if (response.status === 401 && (await session.refresh())) continue;
      if (!response.ok || !type.startsWith('text/event-stream')) {
        response.body?.cancel();
        throw new Error(`no stream (HTTP ${response.status})`);
      }
      onMode('stream');
      failures = 0;
      await readEvents(response.body, signal, (event) => {
        if (event.id) lastEventId = event.id;
        if (event.type === 'order') seen(JSON.parse(event.data));
      });
    } catch (error) {
      if (signal.aborted) return;
      failures += 1;
      onMode('poll');
      try {
        seen(await get(`/v1/orders/${encodeURIComponent(orderId)}`));
      } catch {
        // The next round tries again; the page keeps what it last showed.
      }
    }
    if (!FINAL.has(status)) await pause(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)], signal);
  }
}

/** Parses an event stream (text/event-stream) into {id, type, data} events. */
export async function readEvents(body, signal, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener('abort', () => reader.cancel().catch(() => {}), { once: true });
  let buffer = '';
  let event = { id: null, type: 'message', data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === '') {
        if (event.data.length) onEvent({ ...event, data: event.data.join('\n') });
        event = { id: event.id, type: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue; // a keep-alive comment
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'id') event.id = text;
      else if (name === 'event') event.type = text;
      else if (name === 'data') event.data.push(text);
    }
  }
}

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
