// The plain Node receiver the benchmark runs beside Hookline under the same load: Standard
// Webhooks verification with `crypto`, `JSON.parse`, a JSONL line appended to a file (no fsync,
// no dedup, no queue), 202. What a small hand-written webhook endpoint costs.
//   node Benchmarks/node/receiver.js PORT SECRET LOGFILE [sync|stream|durable]
// `sync` (the default) appends each line with fs.appendFileSync, one write per request, as a
// 20-line receiver does; `stream` writes through a buffered fs.WriteStream, which batches them;
// `durable` appends as `sync` does and answers only once an fdatasync that began after the line
// was written has finished — one sync shared by every request waiting for it (group commit), the
// promise Hookline keeps.
'use strict';
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

const [port, secret, logPath, mode = 'sync'] = process.argv.slice(2);
const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
const stream = mode === 'stream' ? fs.createWriteStream(logPath, { flags: 'a' }) : null;
const descriptor = stream ? null : fs.openSync(logPath, 'a');
const append = stream ? (line) => stream.write(line) : (line) => fs.appendFileSync(descriptor, line);

// Group commit for `durable`: requests whose lines are written wait for the next fdatasync; while
// one runs, the next batch gathers.
let syncing = false;
let gathering = [];
function afterSync(done) {
  gathering.push(done);
  if (!syncing) startSync();
}
function startSync() {
  syncing = true;
  const batch = gathering;
  gathering = [];
  fs.fdatasync(descriptor, (error) => {
    syncing = false;
    for (const done of batch) done(error);
    if (gathering.length > 0) startSync();
  });
}

function verify(headers, body) {
  const id = headers['webhook-id'], timestamp = headers['webhook-timestamp'], signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',');
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) return true;
  }
  return false;
}

http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    if (request.method !== 'POST' || !verify(request.headers, body)) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end('{"error":"bad signature"}');
      return;
    }
    let message;
    try {
      message = JSON.parse(body);
    } catch (error) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end('{"error":"malformed JSON"}');
      return;
    }
    append(JSON.stringify({ ts: new Date().toISOString(), outcome: 'received', message: request.headers['webhook-id'], type: message.type, payload: message }) + '\n');
    const accept = () => {
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end('{"status":"accepted"}');
    };
    if (mode !== 'durable') return accept();
    afterSync((error) => {
      if (!error) return accept();
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end('{"error":"the log cannot be synced"}');
    });
  });
}).listen(Number(port), '127.0.0.1');
