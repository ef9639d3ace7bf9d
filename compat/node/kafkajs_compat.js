'use strict'
// Compatibility suite for kafkajs (pinned in package.json; install with
// `npm ci` here). Run by compat/run; `node kafkajs_compat.js member` is one
// consumer group member for the runner's scenario 4. kafkajs ships the gzip
// codec; snappy and lz4 come from the codec packages its documentation
// names (kafkajs-snappy, kafkajs-lz4).

const { Kafka, CompressionTypes, CompressionCodecs, ConfigResourceTypes, ConfigSource, AssignerProtocol, logLevel } = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const LZ4Codec = require('kafkajs-lz4')
const common = require('./common')
const { fail, Report } = common

CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec

// kafkajs logs to stdout by default; the suite's protocol owns stdout.
const stderrLog = () => ({ namespace, level, label, log }) => {
  process.stderr.write(`${label} [${namespace}] ${log.message} ${JSON.stringify(log)}\n`)
}

function client (bootstrap, extra = {}) {
  return new Kafka({
    clientId: 'compat-kafkajs',
    brokers: [bootstrap],
    logLevel: logLevel.ERROR,
    logCreator: stderrLog,
    retry: { initialRetryTime: 100, retries: 5 },
    ...extra
  })
}

async function withAdmin (kafka, fn) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

async function createTopic (kafka, topic, numPartitions, configs = {}) {
  const created = await withAdmin(kafka, a => a.createTopics({
    topics: [{ topic, numPartitions, replicationFactor: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }]
  }))
  if (!created) fail(`create topic ${topic}: already exists`)
}

function toMessages (recs) {
  return recs.map(r => {
    const headers = {}
    for (const [k, v] of r.headers) {
      if (k in headers) headers[k] = [].concat(headers[k], v)
      else headers[k] = v
    }
    return { key: r.key, value: r.value, headers, partition: 0, timestamp: String(r.timestamp) }
  })
}

function fromMessage (m) {
  const headers = []
  for (const [k, v] of Object.entries(m.headers || {})) {
    for (const one of [].concat(v)) headers.push([k, one === null ? null : one.toString()])
  }
  // batchContext is the header of the record's batch (kafkajs's decoder).
  return { key: m.key, value: m.value, headers, timestamp: Number(m.timestamp), offset: Number(m.offset), batch: m.batchContext }
}

async function produce (kafka, topic, recs, { acks = -1, compression = CompressionTypes.None, producer } = {}) {
  const p = producer || kafka.producer()
  if (!producer) await p.connect()
  try {
    return await p.send({ topic, acks, compression, messages: toMessages(recs) })
  } finally {
    if (!producer) await p.disconnect()
  }
}

// errorType is a kafkajs error's protocol error name, looking through the
// retrier's KafkaJSNumberOfRetriesExceeded to its cause.
function errorType (e) {
  for (; e; e = e.cause) {
    if (e.type) return e.type
  }
  return undefined
}

let groupSeq = 0

// consume reads n records of partition 0 through a consumer (kafkajs
// consumers are always group members): from the beginning, or from the end
// followed by a seek to offset.
async function consume (kafka, topic, n, { offset = null } = {}) {
  const c = kafka.consumer({ groupId: `compat-read-${process.pid}-${groupSeq++}`, maxWaitTimeInMs: 100 })
  await c.connect()
  const got = []
  try {
    await c.subscribe({ topics: [topic], fromBeginning: offset === null })
    await c.run({ autoCommit: false, eachMessage: async ({ message }) => { got.push(fromMessage(message)) } })
    if (offset !== null) c.seek({ topic, partition: 0, offset: String(offset) })
    await common.waitFor(30000, () => got.length >= n, `consumed ${got.length} of ${n} records`)
  } finally {
    await c.disconnect()
  }
  if (got.length > n) fail(`consumed ${got.length} records, want ${n}`)
  return got
}

async function scenario1 (r, b) {
  const kafka = client(b)
  await r.check(1, 'metadata lists the broker and controller', async () => {
    const cl = await withAdmin(kafka, a => a.describeCluster())
    if (cl.brokers.length !== 1 || `${cl.brokers[0].host}:${cl.brokers[0].port}` !== b) fail(`brokers ${JSON.stringify(cl.brokers)}`)
    if (cl.controller !== cl.brokers[0].nodeId || !cl.clusterId) fail(`cluster ${JSON.stringify(cl)}`)
  })
  await r.check(1, 'create topic with partitions and configs', async () => {
    await createTopic(kafka, 'admin-create', 3, { 'retention.ms': '3600000' })
    const md = await withAdmin(kafka, a => a.fetchTopicMetadata({ topics: ['admin-create'] }))
    const parts = md.topics[0].partitions
    if (parts.length !== 3) fail(`${parts.length} partitions`)
    for (const p of parts) {
      if (p.leader !== 1 || JSON.stringify(p.replicas) !== '[1]' || JSON.stringify(p.isr) !== '[1]') fail(`partition ${JSON.stringify(p)}`)
    }
  })
  await r.check(1, 'create an existing topic fails with TOPIC_ALREADY_EXISTS', async () => {
    // kafkajs resolves createTopics to false when every error is TOPIC_ALREADY_EXISTS.
    const created = await withAdmin(kafka, a => a.createTopics({ topics: [{ topic: 'admin-create', numPartitions: 1 }] }))
    if (created !== false) fail('created twice')
  })
  await r.check(1, 'create partitions', async () => {
    await withAdmin(kafka, a => a.createPartitions({ topicPartitions: [{ topic: 'admin-create', count: 5 }] }))
    const md = await withAdmin(kafka, a => a.fetchTopicMetadata({ topics: ['admin-create'] }))
    if (md.topics[0].partitions.length !== 5) fail(`${md.topics[0].partitions.length} partitions`)
  })
  await r.check(1, 'delete topic', async () => {
    await withAdmin(kafka, a => a.deleteTopics({ topics: ['admin-create'] }))
    const topics = await withAdmin(kafka, a => a.listTopics())
    if (topics.includes('admin-create')) fail('still listed')
  })
  await r.check(1, 'a produce to a new topic auto-creates it', async () => {
    const p = kafka.producer({ allowAutoTopicCreation: true })
    await p.connect()
    try {
      await p.send({ topic: 'admin-auto', messages: [{ value: 'v' }] })
    } finally {
      await p.disconnect()
    }
    const md = await withAdmin(kafka, a => a.fetchTopicMetadata({ topics: ['admin-auto'] }))
    if (md.topics[0].partitions.length !== 1) fail(`auto-created topic ${JSON.stringify(md)}`)
  })
}

const CODECS = [['none', CompressionTypes.None], ['gzip', CompressionTypes.GZIP], ['snappy', CompressionTypes.Snappy], ['lz4', CompressionTypes.LZ4]]

async function scenario2 (r, b) {
  const kafka = client(b)
  for (const [acksName, acks] of [['0', 0], ['1', 1], ['all', -1]]) {
    for (const [codecName, codec] of CODECS) {
      await r.check(2, `produce acks=${acksName} codec=${codecName}`, async () => {
        const topic = `produce-${acksName}-${codecName}`
        await createTopic(kafka, topic, 1)
        const want = common.standardRecords(common.baseMs())
        await produce(kafka, topic, want, { acks, compression: codec })
        const got = await consume(kafka, topic, want.length)
        common.compare(got, want)
        if (JSON.stringify(got.map(m => m.offset)) !== JSON.stringify([...want.keys()])) fail(`offsets ${got.map(m => m.offset)}`)
      })
    }
  }
  r.notApplicable(2, 'produce codec=zstd', "kafkajs has no zstd codec of its own and its @kafkajs/zstd plugin (a native addon) does not build on Node 20")
  await r.check(2, 'idempotent producer (idempotent: true) writes every record once, in order, with a producer id', async () => {
    // kafkajs's idempotent producer asks for a producer id with
    // InitProducerId when it connects and numbers its batches. Several
    // rounds, each delivered before the next, make several batches.
    // (Retries are bounded here so that a failure cannot retry forever.)
    const topic = 'produce-idempotent'
    await createTopic(kafka, topic, 1)
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { initialRetryTime: 100, retries: 5 } })
    await p.connect()
    const want = []
    try {
      for (const round of common.idempotentRecords(common.baseMs())) {
        await p.send({ topic, acks: -1, messages: toMessages(round) })
        want.push(...round)
      }
    } finally {
      await p.disconnect()
    }
    const got = await consume(kafka, topic, want.length)
    common.compare(got, want)
    got.forEach((m, i) => {
      if (m.offset !== i) fail(`record ${i} at offset ${m.offset}`)
      // One producer wrote the partition: its batches carry its id and
      // epoch, and a batch's first sequence is its first offset.
      const { producerId, producerEpoch, firstSequence, firstOffset } = m.batch || {}
      if (producerId === undefined || producerId === '-1' || producerId !== got[0].batch.producerId || producerEpoch !== got[0].batch.producerEpoch) {
        fail(`record ${i}: producer id ${producerId} epoch ${producerEpoch} (record 0: ${got[0].batch && got[0].batch.producerId})`)
      }
      if (String(firstSequence) !== String(firstOffset)) fail(`record ${i}: its batch at offset ${firstOffset} has first sequence ${firstSequence}`)
    })
    const offsets = await withAdmin(kafka, a => a.fetchTopicOffsets(topic))
    if (Number(offsets[0].high) !== want.length) fail(`end offset ${offsets[0].high}, want ${want.length}`)
  })
  await r.check(2, 'transactional producer is refused cleanly (transactions not implemented)', async () => {
    // Fjord answers InitProducerId with a transactional id with
    // INVALID_REQUEST, which kafkajs does not retry: beginning a
    // transaction fails at once.
    const p = kafka.producer({ transactionalId: 'compat-kafkajs', idempotent: true, maxInFlightRequests: 1 })
    await p.connect()
    let timer
    try {
      const timeout = new Promise((resolve, reject) => { timer = setTimeout(() => reject(new common.Failed('no answer within 30s')), 30000) })
      let txn
      try {
        txn = await Promise.race([p.transaction(), timeout])
      } catch (e) {
        if (e instanceof common.Failed) throw e
        if (errorType(e) !== 'INVALID_REQUEST') throw e
        return
      }
      await txn.abort().catch(() => {})
      fail('a transaction began')
    } finally {
      clearTimeout(timer)
      await p.disconnect()
    }
  })
  r.notApplicable(2, 'transactional produce',
    'Fjord does not implement transactions yet: InitProducerId with a transactional id is refused with INVALID_REQUEST (checked)')
}

async function scenario3 (r, b) {
  const kafka = client(b)
  const topic = 'consume'
  await createTopic(kafka, topic, 1)
  const want = common.standardRecords(common.baseMs())
  await produce(kafka, topic, want)

  await r.check(3, 'consume from earliest', async () => common.compare(await consume(kafka, topic, want.length), want))
  await r.check(3, 'consume from an offset (seek)', async () => {
    const got = await consume(kafka, topic, want.length - 3, { offset: 3 })
    common.compare(got, want.slice(3))
  })
  await r.check(3, 'consume from a timestamp', async () => {
    const found = await withAdmin(kafka, a => a.fetchTopicOffsetsByTimestamp(topic, want[4].timestamp))
    if (found.length !== 1 || found[0].offset !== '4') fail(`offset for the timestamp ${JSON.stringify(found)}, want 4`)
    common.compare(await consume(kafka, topic, want.length - 4, { offset: 4 }), want.slice(4))
  })
  await r.check(3, 'consume from latest', async () => {
    const c = kafka.consumer({ groupId: `compat-latest-${process.pid}`, maxWaitTimeInMs: 100 })
    await c.connect()
    const got = []
    const p = kafka.producer()
    await p.connect()
    try {
      await c.subscribe({ topics: [topic], fromBeginning: false })
      await c.run({ autoCommit: false, eachMessage: async ({ message }) => { got.push(message.value.toString()) } })
      await common.latestMarkers(v => p.send({ topic, messages: [{ value: v, partition: 0 }] }), () => got)
    } finally {
      await p.disconnect()
      await c.disconnect()
    }
  })
}

async function scenario5 (r, b) {
  const kafka = client(b)
  const configs = async (type, name) => {
    const res = await withAdmin(kafka, a => a.describeConfigs({ resources: [{ type, name }], includeSynonyms: false }))
    const out = {}
    for (const e of res.resources[0].configEntries) out[e.configName] = e
    return out
  }
  await r.check(5, 'describe topic configs', async () => {
    await createTopic(kafka, 'configs', 1, { 'retention.ms': '3600000' })
    const c = await configs(ConfigResourceTypes.TOPIC, 'configs')
    if (c['retention.ms'].configValue !== '3600000' || c['retention.ms'].configSource !== ConfigSource.TOPIC_CONFIG) fail(`retention.ms ${JSON.stringify(c['retention.ms'])}`)
    if (c['cleanup.policy'].configValue !== 'delete' || c['cleanup.policy'].configSource !== ConfigSource.DEFAULT_CONFIG) fail(`cleanup.policy ${JSON.stringify(c['cleanup.policy'])}`)
  })
  await r.check(5, 'alter topic configs (AlterConfigs)', async () => {
    await withAdmin(kafka, a => a.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configs', configEntries: [{ name: 'segment.bytes', value: '1048576' }] }]
    }))
    const c = await configs(ConfigResourceTypes.TOPIC, 'configs')
    if (c['segment.bytes'].configValue !== '1048576' || c['segment.bytes'].configSource !== ConfigSource.TOPIC_CONFIG) fail(`segment.bytes ${JSON.stringify(c['segment.bytes'])}`)
    if (c['retention.ms'].configSource === ConfigSource.TOPIC_CONFIG) fail('retention.ms still set: AlterConfigs replaces the whole set')
  })
  r.notApplicable(5, 'alter topic configs (IncrementalAlterConfigs)', 'kafkajs has no incremental alter configs')
  await r.check(5, 'describe broker configs', async () => {
    const c = await configs(ConfigResourceTypes.BROKER, '1')
    if (c['auto.create.topics.enable'].configValue !== 'true') fail(`auto.create.topics.enable ${JSON.stringify(c['auto.create.topics.enable'])}`)
  })

  const group = 'admin-group'; const topic = 'group-topic'
  await r.check(5, 'describe a group with a member', async () => {
    await createTopic(kafka, topic, 2)
    await produce(kafka, topic, [{ key: null, value: Buffer.from('a'), headers: [], timestamp: Date.now() }])
    const c = client(b, { clientId: 'describer' }).consumer({ groupId: group, maxWaitTimeInMs: 100 })
    await c.connect()
    try {
      let consumed = false
      await c.subscribe({ topics: [topic], fromBeginning: true })
      await c.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          await c.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }])
          consumed = true
        }
      })
      await common.waitFor(30000, () => consumed, 'no record consumed')
      const res = await withAdmin(kafka, a => a.describeGroups([group]))
      const g = res.groups[0]
      if (g.errorCode || g.state !== 'Stable' || g.protocolType !== 'consumer' || g.members.length !== 1) fail(`group ${JSON.stringify(g)}`)
      const assignment = AssignerProtocol.MemberAssignment.decode(g.members[0].memberAssignment).assignment
      if (g.members[0].clientId !== 'describer' || JSON.stringify(assignment[topic]) !== '[0,1]') fail(`member ${g.members[0].clientId} ${JSON.stringify(assignment)}`)
    } finally {
      await c.disconnect() // leaves the group
    }
  })
  await r.check(5, 'list groups', async () => {
    const res = await withAdmin(kafka, a => a.listGroups())
    if (!res.groups.some(g => g.groupId === group && g.protocolType === 'consumer')) fail(`groups ${JSON.stringify(res.groups)}`)
    const d = await withAdmin(kafka, a => a.describeGroups([group]))
    if (d.groups[0].state !== 'Empty') fail(`after the member left: ${d.groups[0].state}`)
  })
  await r.check(5, 'fetch committed offsets', async () => {
    const res = await withAdmin(kafka, a => a.fetchOffsets({ groupId: group, topics: [topic] }))
    const ps = res[0].partitions.map(p => [p.partition, p.offset]).sort()
    if (JSON.stringify(ps) !== '[[0,"1"],[1,"-1"]]') fail(`committed ${JSON.stringify(ps)}`)
  })
  await r.check(5, 'delete groups', async () => {
    await withAdmin(kafka, a => a.deleteGroups([group]))
    const res = await withAdmin(kafka, a => a.listGroups())
    if (res.groups.some(g => g.groupId === group)) fail('still listed')
    try {
      await withAdmin(kafka, a => a.deleteGroups([group]))
    } catch (e) {
      if (e.groups && e.groups[0].error && e.groups[0].error.type === 'GROUP_ID_NOT_FOUND') return
      throw e
    }
    fail('deleting again succeeded, want GROUP_ID_NOT_FOUND')
  })
  await r.check(5, 'list offsets (earliest, latest, by timestamp)', async () => {
    await createTopic(kafka, 'offsets', 1)
    const want = common.standardRecords(common.baseMs())
    await produce(kafka, 'offsets', want)
    const offs = await withAdmin(kafka, a => a.fetchTopicOffsets('offsets'))
    if (offs.length !== 1 || offs[0].low !== '0' || offs[0].high !== String(want.length)) fail(`offsets ${JSON.stringify(offs)}`)
    const at = await withAdmin(kafka, a => a.fetchTopicOffsetsByTimestamp('offsets', want[5].timestamp - 1))
    if (at[0].offset !== '5') fail(`by timestamp ${JSON.stringify(at)}, want 5`)
  })
}

async function scenario6 (r, b, noauto) {
  const kafka = client(b)
  await r.check(6, 'produce to an unknown topic with auto-create off fails with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const k = client(noauto, { retry: { initialRetryTime: 100, retries: 1 } })
    const p = k.producer({ allowAutoTopicCreation: true }) // asked for, but the broker must refuse
    await p.connect()
    try {
      await p.send({ topic: 'no-such-topic', messages: [{ value: 'v' }] })
      fail('produced')
    } catch (e) {
      const type = errorType(e)
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw e
    } finally {
      await p.disconnect()
    }
    const topics = await withAdmin(k, a => a.listTopics())
    if (topics.includes('no-such-topic')) fail('topic created anyway')
  })
  await r.check(6, 'a record over max.message.bytes fails with MESSAGE_TOO_LARGE', async () => {
    await createTopic(kafka, 'too-large', 1, { 'max.message.bytes': '1024' })
    const p = kafka.producer()
    await p.connect()
    try {
      try {
        await p.send({ topic: 'too-large', messages: [{ value: common.incompressible(4096), partition: 0 }] })
        fail('produced')
      } catch (e) {
        const type = errorType(e)
        if (type !== 'MESSAGE_TOO_LARGE') throw e
      }
      await p.send({ topic: 'too-large', messages: [{ value: 'small', partition: 0 }] })
    } finally {
      await p.disconnect()
    }
  })
  await r.check(6, 'acks=2 fails with INVALID_REQUIRED_ACKS', async () => {
    await createTopic(kafka, 'bad-acks', 1)
    const p = client(b, { retry: { retries: 0 } }).producer()
    await p.connect()
    try {
      await p.send({ topic: 'bad-acks', acks: 2, messages: [{ value: 'v', partition: 0 }] })
      fail('produced')
    } catch (e) {
      const type = errorType(e)
      if (type !== 'INVALID_REQUIRED_ACKS') throw e
    } finally {
      await p.disconnect()
    }
  })
}

async function main () {
  const b = common.env('FJORD_COMPAT_BOOTSTRAP')
  const noauto = common.env('FJORD_COMPAT_NOAUTO_BOOTSTRAP')
  const r = new Report()
  r.client('kafkajs', require('kafkajs/package.json').version)
  await r.run(1, () => scenario1(r, b))
  await r.run(2, () => scenario2(r, b))
  await r.run(3, () => scenario3(r, b))
  await r.run(5, () => scenario5(r, b))
  await r.run(6, () => scenario6(r, b, noauto))
  return r.summary()
}

// member is one consumer group member (protocol: compat/go/internal/check/member.go):
// a kafkajs consumer with its default round-robin assigner, each record
// committed after it is printed, and disconnect() (LeaveGroup) on SIGTERM.
async function member () {
  const bootstrap = common.env('FJORD_COMPAT_BOOTSTRAP')
  const topic = common.env('FJORD_COMPAT_TOPIC')
  const group = common.env('FJORD_COMPAT_GROUP')
  const name = common.env('FJORD_COMPAT_MEMBER')
  const kafka = client(bootstrap, { clientId: name, retry: { initialRetryTime: 100, retries: 20 } })
  const c = kafka.consumer({
    groupId: group,
    sessionTimeout: common.SESSION_TIMEOUT_MS,
    heartbeatInterval: common.HEARTBEAT_INTERVAL_MS,
    rebalanceTimeout: common.REBALANCE_TIMEOUT_MS,
    maxWaitTimeInMs: 100
  })
  c.on(c.events.GROUP_JOIN, ({ payload }) => common.printAssigned(payload.memberAssignment[topic] || []))
  c.on(c.events.REBALANCING, () => common.printAssigned([]))
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await c.disconnect()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  await c.connect()
  await c.subscribe({ topics: [topic], fromBeginning: true })
  await c.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      common.printRecord(partition, message.offset, message.key, message.value)
      await c.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }])
    }
  })
}

if (process.argv[2] === 'member') {
  member().catch(e => { process.stderr.write(`member: ${e.stack}\n`); process.exit(1) })
} else {
  main().then(code => { process.exitCode = code }, e => { process.stderr.write(`${e.stack}\n`); process.exitCode = 1 })
}
