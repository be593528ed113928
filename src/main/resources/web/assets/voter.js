// The voter page, /p/{code or id}[?invite=<token>]: finds the poll, shows it, votes over the live socket.
import { api, ApiError, claimsOf, el, fill, LiveConnection, normalizeCode, POLL_ID, store, withTally } from './common.js';
import { kindOf, renderResults } from './kinds.js';

const $ = (id) => document.getElementById(id);
const target = decodeURIComponent(location.pathname.split('/')[2] || '');
const invite = new URLSearchParams(location.search).get('invite');

let poll = null;
let form = null;
let connection = null;
let pending = null; // { ref, ballot } sent and not yet answered: sent again after a reconnect (counted once)

function say(text, tone) {
  const outcome = $('outcome');
  outcome.className = `outcome ${tone || ''}`;
  outcome.textContent = text;
}

/** The poll's id: the path holds either the id itself or a join code. */
async function pollIdOf(text) {
  // an invited poll is found only with its invite
  if (POLL_ID.test(text)) return (await api('GET', `/api/polls/${text}`, { token: invite })).id;
  const code = normalizeCode(text);
  if (!code) throw new ApiError(404, 'Unknown join code', `"${text}" is not a join code: codes have six letters or digits`);
  return (await api('GET', `/api/join/${code}`)).pollId;
}

function expired(token) {
  const claims = claimsOf(token);
  return !claims || (claims.exp && claims.exp * 1000 < Date.now() + 60000);
}

/**
 * The token this browser votes with: the invite in the link; for a poll that takes only voters who joined through
 * its code, a sign-up through that code; else a voter token kept in this browser.
 */
async function voterToken(renew) {
  if (invite) return invite;
  if (poll && poll.audience === 'joined' && poll.joinCode) {
    const key = `joined.${poll.id}`;
    const joined = store.get(key);
    if (joined && joined.token && !renew && !expired(joined.token)) return joined.token;
    const signedUp = await api('POST', `/api/join/${poll.joinCode}/voters`);
    store.set(key, signedUp);
    return signedUp.token;
  }
  const kept = store.get('voter');
  if (kept && kept.token && !renew && !expired(kept.token)) return kept.token;
  const voter = await api('POST', '/api/voters');
  store.set('voter', voter);
  return voter.token;
}

/** Where this browser keeps its voter's ballot of the poll's current round (every round takes a new ballot). */
function ballotKey(token) {
  const claims = claimsOf(token) || {};
  const round = poll.round > 1 ? `.r${poll.round}` : '';
  return `ballot.${poll.id}.${claims.sub || 'unknown'}${round}`;
}

/** The voter's inputs, new for the poll and again for every round; marked with the ballot kept for it, if any. */
function showForm(kind) {
  form = kind.ballotForm(poll, () => say(''));
  fill($('inputs'), form.element);
  $('ballot').hidden = false;
  $('vote').textContent = 'Vote';
  const round = poll.round;
  voterToken(false).then((token) => {
    if (poll.round !== round) return;
    const mine = store.get(ballotKey(token));
    if (mine) {
      form.show(mine);
      say('Your vote is counted.', 'ok');
      $('vote').textContent = poll.allowVoteChange ? 'Change my vote' : 'Vote';
    }
  }).catch(() => {});
}

function render(view) {
  const first = !poll;
  const newRound = !first && view.round !== poll.round;
  poll = view;
  const kind = kindOf(poll);
  if (first) {
    $('question').textContent = poll.question;
    document.title = `${poll.question} · Livepoll`;
    const rules = [];
    if (poll.audience === 'invited') rules.push('Invited voters only.');
    if (poll.allowVoteChange) rules.push('You may change your vote.');
    $('rules').textContent = rules.join(' ');
    showForm(kind);
  } else if (newRound) {
    say(`Round ${poll.round} has begun: you may vote again.`, 'notice');
    showForm(kind);
  }
  $('round').textContent = poll.round > 1 ? `Round ${poll.round}` : '';
  $('round').hidden = !(poll.round > 1);
  const closed = poll.status === 'closed';
  $('vote').disabled = closed;
  if (closed) say('This poll is closed: it takes no more votes.', 'notice');
  const results = $('results');
  results.hidden = !kind.resultsVisible(poll);
  if (!results.hidden) {
    $('results-title').textContent = poll.resultsWithheld ? 'Results' : 'Live results';
    renderResults($('results-body'), poll);
    $('total').textContent = `${poll.totalBallots} ${poll.totalBallots === 1 ? 'vote' : 'votes'}`;
  }
}

/** What a voter reads for an error frame or response. */
function explain(status, title, detail) {
  if (title === 'Already voted') return 'You have already voted in this poll, and it does not allow changing a vote.';
  if (title === 'Poll closed') return 'This poll is closed: your vote was not counted.';
  if (title === 'Not invited') return 'This poll takes votes from invited voters only: open the link of your invitation.';
  if (status === 429) return 'Too many votes at once: wait a moment and vote again.';
  if (status === 503) return 'The server is busy or moving this poll: vote again in a moment.';
  return `Your vote was not counted: ${detail || title}`;
}

async function vote(event) {
  event.preventDefault();
  if (!poll) return;
  const problem = form.problem();
  if (problem) {
    say(problem, 'error');
    return;
  }
  const ballot = form.ballot();
  let token;
  try {
    token = await voterToken(false);
  } catch (e) {
    say(`Your vote was not sent: ${e.message}`, 'error');
    return;
  }
  send({ ...ballot, token, seq: nextSeq() }, false);
}

let lastSeq = 0;

/**
 * Numbers each new ballot above the last (resends keep theirs): if an older ballot of this voter reaches the poll
 * late, after a newer one, the poll refuses it instead of letting it overwrite the newer one.
 */
function nextSeq() {
  lastSeq = Math.max(Date.now(), lastSeq + 1);
  return lastSeq;
}

function send(ballot, renewed) {
  const ref = connection.sendBallot(ballot);
  pending = { ref, ballot, renewed };
  $('vote').disabled = true;
  say(ref ? 'Sending your vote…' : 'Not connected: your vote goes out as soon as the connection is back.', 'notice');
}

function onAck(frame) {
  if (!pending || frame.ref !== pending.ref) return;
  const { token, seq, ...fields } = pending.ballot;
  store.set(ballotKey(token), fields);
  pending = null;
  $('vote').disabled = poll.status === 'closed';
  $('vote').textContent = poll.allowVoteChange ? 'Change my vote' : 'Vote';
  say('Your vote is counted. Thank you!', 'ok');
}

async function onError(frame) {
  if (frame.ref === null || frame.ref === undefined) {
    return; // about the socket (the node is leaving, say): it reconnects by itself
  }
  if (!pending || frame.ref !== pending.ref) return;
  const { ballot, renewed } = pending;
  pending = null;
  $('vote').disabled = poll.status === 'closed';
  if (frame.status === 401 && !invite && !renewed) {
    // the kept voter token expired or the server's key changed: a new voter, once
    try {
      send({ ...ballot, token: await voterToken(true) }, true);
      return;
    } catch (e) { /* fall through to the message */ }
  }
  say(explain(frame.status, frame.title, frame.detail), 'error');
}

function onState(state) {
  const text = { connecting: 'Connecting…', live: 'Live', offline: 'Reconnecting…' }[state];
  const badge = $('connection');
  badge.textContent = text;
  badge.dataset.state = state;
}

function onSnapshot(view) {
  render(view);
  if (pending) {
    // the answer to a ballot may have been lost with the old connection: the same ballot again counts once
    send(pending.ballot, pending.renewed);
  }
}

async function start() {
  $('ballot').addEventListener('submit', vote);
  let pollId;
  try {
    pollId = await pollIdOf(target);
  } catch (e) {
    $('question').textContent = e.status === 404 ? 'No open poll here' : 'The poll could not be loaded';
    fill($('rules'), e.status === 404
      ? ['No open poll has this code. Check it, or ask for the link again. ', el('a', { href: '/' }, 'Enter a code')]
      : e.message);
    return;
  }
  connection = new LiveConnection(pollId, {
    token: invite || undefined,
    onSnapshot,
    onTally: (frame) => { if (poll) render(withTally(poll, frame)); },
    onAck,
    onError,
    onState,
  });
}

start();
