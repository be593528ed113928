// Shared by every page: DOM building that never parses HTML, the REST client, stored tokens and the live socket.

/**
 * An element with attributes and children. Children are nodes or strings; strings become text nodes, so text from
 * a poll (a question, an option) is always shown as text and never read as HTML.
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (value === true) {
      node.setAttribute(name, '');
    } else {
      node.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces everything inside {@code node}. */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
}

/** An API call's failure: the problem+json the server answered, or a network error (status 0). */
export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || 'request failed');
    this.status = status;
    this.title = title;
  }
}

/** A JSON API call; {@code token} goes in the Authorization header. Resolves with the parsed body. */
export async function api(method, path, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'Network error', 'the server could not be reached; check the connection');
  }
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    throw new ApiError(response.status, data && data.title, (data && data.detail) || response.statusText);
  }
  return data;
}

/** Stored values of this browser; a browser that refuses storage just forgets them. */
export const store = {
  get(key) {
    try { return JSON.parse(localStorage.getItem(`livepoll.${key}`)); } catch (e) { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(`livepoll.${key}`, JSON.stringify(value)); } catch (e) { /* private mode */ }
  },
  remove(key) {
    try { localStorage.removeItem(`livepoll.${key}`); } catch (e) { /* private mode */ }
  },
};

/** The organizer token this browser signed in with, or null. */
export function organizerToken() {
  return store.get('organizer');
}

/** The claims of a JWT (unverified: only for showing who is signed in), or null. */
export function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch (e) {
    return null;
  }
}

/** What a join code looks like: six of the letters and digits that cannot be mistaken for each other. */
export const JOIN_CODE = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/;
export const POLL_ID = /^[a-z0-9]{12}$/;

/** A typed code in its canonical form (upper case, no spaces or dashes), or null. */
export function normalizeCode(typed) {
  const code = String(typed || '').replace(/[\s-]/g, '').toUpperCase();
  return JOIN_CODE.test(code) ? code : null;
}

/**
 * A live socket on one poll that stays connected: on every (re)connect the server sends a fresh snapshot, so a
 * reconnect after a node left or crashed starts from the truth. Reconnects back off (0.5 s doubling to 10 s, with
 * jitter) and reset once a snapshot arrived. Handlers: onSnapshot(poll), onTally(frame), onAck(frame),
 * onError(frame), onState('connecting'|'live'|'offline').
 */
export class LiveConnection {
  constructor(pollId, { token, onSnapshot, onTally, onAck, onError, onState }) {
    this.pollId = pollId;
    this.token = token;
    this.handlers = { onSnapshot, onTally, onAck, onError, onState };
    this.delay = 500;
    this.closed = false;
    this.socket = null;
    this.nextRef = 1;
    this.connect();
    window.addEventListener('online', () => this.reconnectNow());
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = this.token ? `?token=${encodeURIComponent(this.token)}` : '';
    return `${scheme}//${location.host}/api/polls/${encodeURIComponent(this.pollId)}/live${query}`;
  }

  connect() {
    if (this.closed) return;
    this.state('connecting');
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener('message', (event) => this.receive(event.data));
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.state('offline');
      this.retry();
    });
  }

  retry() {
    if (this.closed || this.timer) return;
    const wait = this.delay * (0.75 + Math.random() * 0.5);
    this.delay = Math.min(this.delay * 2, 10000);
    this.timer = setTimeout(() => { this.timer = null; this.connect(); }, wait);
  }

  reconnectNow() {
    if (this.socket || this.closed) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  receive(data) {
    let frame;
    try { frame = JSON.parse(data); } catch (e) { return; }
    const h = this.handlers;
    if (frame.type === 'snapshot') {
      this.delay = 500;
      this.state('live');
      if (h.onSnapshot) h.onSnapshot(frame.poll);
    } else if (frame.type === 'tally') {
      if (h.onTally) h.onTally(frame);
    } else if (frame.type === 'ack') {
      if (h.onAck) h.onAck(frame);
    } else if (frame.type === 'error') {
      if (h.onError) h.onError(frame);
    }
  }

  state(name) {
    if (this.handlers.onState) this.handlers.onState(name);
  }

  /** Sends a ballot; its answer (ack or error) carries the returned ref. False if the socket is not open. */
  sendBallot(ballot) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return null;
    const ref = `b${this.nextRef++}`;
    this.socket.send(JSON.stringify({ type: 'ballot', ref, ...ballot }));
    return ref;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close();
  }
}

/**
 * A poll view with a tally frame applied: the counts, the kind's results (a ranking's points and average places, a
 * rating, words and, for the owner, hidden words), the round, the total and the status. A frame whose results are
 * withheld from this reader carries none of them, and the view then has none either.
 */
export function withTally(poll, tally) {
  const base = {
    ...poll,
    status: tally.status || poll.status,
    totalBallots: tally.totalBallots,
    version: tally.seq,
  };
  if (tally.round === undefined || tally.round === null) {
    // a frame from a node of an older version: the counts are all it has
    const counts = tally.counts || [];
    return { ...base, options: poll.options.map((option, i) => ({ ...option, votes: counts[i] ?? option.votes })) };
  }
  if (tally.resultsWithheld === true) {
    return {
      ...base, round: tally.round, resultsWithheld: true, rating: undefined, words: undefined, hiddenWords: undefined,
      options: poll.options.map((option) => ({ index: option.index, label: option.label })),
    };
  }
  const counts = tally.counts || [];
  return {
    ...base,
    round: tally.round,
    resultsWithheld: undefined,
    rating: tally.rating,
    words: tally.words,
    hiddenWords: tally.hiddenWords,
    options: poll.options.map((option, i) => {
      const next = { ...option, votes: counts[i] ?? option.votes };
      if (tally.points) next.points = tally.points[i];
      if (tally.averagePositions) next.averagePosition = tally.averagePositions[i] ?? undefined;
      return next;
    }),
  };
}
