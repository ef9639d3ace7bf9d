'use strict'
// Shared parts of the Node compatibility script: result lines and summary
// (format: compat/go/internal/check), the record set (check/data.go) and the
// consumer group member protocol (check/member.go).

const SESSION_TIMEOUT_MS = 4000
const HEARTBEAT_INTERVAL_MS = 400
const REBALANCE_TIMEOUT_MS = 20000

function env (name) {
  const v = process.env[name]
  if (!v) {
    process.stderr.write(`${name} is not set: run the suite with compat/run, which starts the brokers\n`)
    process.exit(2)
  }
  return v
}

class Failed extends Error {}
function fail (msg) { throw new Failed(msg) }

class Report {
  constructor () { this.passed = 0; this.failed = 0; this.na = 0 }
  client (name, version) { console.log(`CLIENT ${name} ${version}`) }
  line (status, scenario, name, detail) {
    let s = `${status} [${scenario}] ${name}`
    if (detail) s += ': ' + String(detail).trim().split('\n').join(' | ').slice(0, 500)
    console.log(s)
  }

  async check (scenario, name, fn) {
    try {
      await fn()
    } catch (e) {
      if (!(e instanceof Failed)) process.stderr.write(`${name}: ${e.stack}\n`)
      this.line('FAIL', scenario, name, e instanceof Failed ? e.message : `${e.name}: ${e.message}${e.type ? ' (' + e.type + ')' : ''}`)
      this.failed++
      return false
    }
    this.line('PASS', scenario, name)
    this.passed++
    return true
  }

  // run runs a scenario; an error outside its checks (its set-up) is a failed check.
  async run (scenario, fn) {
    try {
      await fn()
    } catch (e) {
      process.stderr.write(`scenario ${scenario}: ${e.stack}\n`)
      this.line('FAIL', scenario, 'scenario set-up', `${e.name}: ${e.message}`)
      this.failed++
    }
  }

  notApplicable (scenario, name, reason) {
    this.line('N/A ', scenario, name, reason)
    this.na++
  }

  summary () {
    if (this.na) console.log(`${this.na} not applicable`)
    console.log(`${this.passed} passed, ${this.failed} failed`)
    return this.failed === 0 ? 0 : 1
  }
}

// baseMs is an hour ago in milliseconds (inside retention, before anything produced now).
function baseMs () { return Date.now() - 3600 * 1000 }

// standardRecords is the record set every client produces. Keys and
// values are Buffers or null; headers are [key, value] pairs in order.
function standardRecords (base) {
  const recs = [
    { key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [['h1', 'v1']] },
    { key: null, value: Buffer.from('no key'), headers: [] },
    { key: Buffer.from('k2'), value: null, headers: [] },
    { key: Buffer.from('k3'), value: Buffer.alloc(0), headers: [] },
    { key: Buffer.from([0, 0xff, 0x62, 0x69, 0x6e]), value: Buffer.from([...Array(256).keys()]), headers: [] },
    { key: Buffer.from('k5'), value: Buffer.from('compressible '.repeat(1000)), headers: [] },
    { key: Buffer.from('k6'), value: Buffer.from('v6'), headers: [['h1', 'v1'], ['h1', 'v2'], ['empty', '']] },
    { key: Buffer.from('ключ-✓'), value: Buffer.from('значение ✓'), headers: [] }
  ]
  recs.forEach((r, i) => { r.timestamp = base + i * 1000 })
  return recs
}

// idempotentRecords is what the idempotent producer checks produce, in
// rounds, each delivered before the next (compat/go/internal/check/batches.go):
// the standard records, then three rounds of 20 numbered ones, timestamps one
// second apart from base throughout.
function idempotentRecords (base) {
  const rounds = [standardRecords(base)]
  let n = rounds[0].length
  for (let r = 0; r < 3; r++) {
    const round = []
    for (let i = 0; i < 20; i++, n++) {
      round.push({ key: Buffer.from(`idem-${r}`), value: Buffer.from(`record ${n}`), headers: [], timestamp: base + n * 1000 })
    }
    rounds.push(round)
  }
  return rounds
}

function show (b) {
  if (b === null || b === undefined) return 'null'
  if (b.length > 40) return `${JSON.stringify(b.subarray(0, 40).toString('latin1'))}...(${b.length} bytes)`
  return JSON.stringify(b.toString('latin1'))
}

function sameBytes (a, b) {
  if (a === null || a === undefined || b === null || b === undefined) return (a === null || a === undefined) === (b === null || b === undefined)
  return Buffer.compare(a, b) === 0
}

// compare fails on the first difference, field by field, or a count mismatch.
function compare (got, want) {
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const g = got[i]; const w = want[i]
    if (!sameBytes(g.key, w.key)) fail(`record ${i}: key ${show(g.key)}, want ${show(w.key)}`)
    if (!sameBytes(g.value, w.value)) fail(`record ${i}: value ${show(g.value)}, want ${show(w.value)}`)
    if (g.timestamp !== w.timestamp) fail(`record ${i}: timestamp ${g.timestamp}, want ${w.timestamp}`)
    if (JSON.stringify(g.headers) !== JSON.stringify(w.headers)) fail(`record ${i}: headers ${JSON.stringify(g.headers)}, want ${JSON.stringify(w.headers)}`)
  }
  if (got.length !== want.length) fail(`${got.length} records, want ${want.length}`)
}

// latestMarkers checks "consume from latest" for a consumer that resolves
// its start asynchronously: it produces markers one at a time until the
// consumer returns one (at most 50), then waits for the last marker
// produced. Everything read must be consecutive markers ending with the
// last: nothing from before the consumer started. read() returns what the
// consumer has read so far.
async function latestMarkers (produce, read) {
  let produced = 0
  const deadline = Date.now() + 30000
  while (Date.now() < deadline) {
    const got = read()
    if (got.length === 0 && produced < 50) {
      await produce(`latest-${produced}`)
      produced++
    }
    if (got.length > 0 && got[got.length - 1] === `latest-${produced - 1}`) break
    await sleep(100) // polling interval of a bounded wait on a condition
  }
  const got = read()
  if (got.length === 0) fail(`nothing consumed after ${produced} markers`)
  if (!got[0].startsWith('latest-')) fail(`first record ${JSON.stringify(got[0])} is not a marker: consumed from before the start`)
  const first = Number(got[0].slice('latest-'.length))
  const want = []
  for (let i = first; i < produced; i++) want.push(`latest-${i}`)
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(`consumed ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
}

// waitFor polls cond (every 50ms) until it holds, at most ms.
async function waitFor (ms, cond, what) {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) fail(`not within ${ms}ms: ${what}`)
    await sleep(50) // polling interval of a bounded wait on a condition
  }
}

function sleep (ms) { return new Promise(resolve => setTimeout(resolve, ms)) }

function incompressible (n) {
  let x = 1
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24 }
  return Buffer.from(b.toString('base64').slice(0, n))
}

// Member output (scenario 4).
function printAssigned (partitions) {
  console.log(['assigned', ...[...partitions].sort((a, b) => a - b)].join(' '))
}
function printRecord (partition, offset, key, value) {
  console.log(`record ${partition} ${offset} ${key ? key.toString() : ''} ${value ? value.toString() : ''}`)
}

module.exports = {
  SESSION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS, REBALANCE_TIMEOUT_MS, env, fail, Failed, Report, baseMs, standardRecords,
  idempotentRecords, compare, latestMarkers, waitFor, sleep, incompressible, printAssigned, printRecord
}
