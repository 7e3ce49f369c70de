// Run by tests/kafka/test_node_producer.py, which installs kafkajs and then reads the topic back from Python.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { createProducer, sendAll } from '../../../snippets/kafka/node_producer.mjs'

const brokers = process.env.KAFKA_BOOTSTRAP.split(',')
const topic = process.env.NODE_PRODUCER_TOPIC
const KEYS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']
const BATCHES = 5
const PER_KEY_PER_BATCH = 5

test('every keyed record in every batch is acknowledged', async () => {
  const batches = Array.from({ length: BATCHES }, (_, batch) =>
    KEYS.flatMap(key =>
      Array.from({ length: PER_KEY_PER_BATCH }, (_, i) => ({ key, value: `${key}:${batch * PER_KEY_PER_BATCH + i}` }))))
  const acknowledged = await sendAll(brokers, topic, batches)
  assert.ok(acknowledged.length >= BATCHES, 'one metadata entry per partition written, per batch')
  for (const metadata of acknowledged) {
    assert.equal(metadata.topicName, topic)
    assert.equal(metadata.errorCode, 0)
  }
})

test('idempotence is on: the producer refuses a send that does not wait for all replicas', async () => {
  const producer = createProducer(brokers)
  await producer.connect()
  try {
    await assert.rejects(producer.send({ topic, acks: 1, messages: [{ key: 'x', value: 'never written' }] }),
      /invalidates the idempotent producer/)
  } finally {
    await producer.disconnect()
  }
})

test('bad input is a TypeError that names the argument', async () => {
  assert.throws(() => createProducer([]), /brokers must be/)
  assert.throws(() => createProducer('localhost:9092'), /brokers must be/)
  await assert.rejects(sendAll(brokers, '', [[{ value: 'x' }]]), /topic must be/)
})
