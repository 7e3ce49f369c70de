/** An at-least-once KafkaJS producer: idempotent, acknowledged by all in-sync replicas, retried, awaited. */
import { Kafka, Partitioners } from 'kafkajs'

// --8<-- [start:config]
export function createProducer(brokers, clientId = 'field-guide') {
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw new TypeError(`brokers must be a non-empty array of "host:port" strings, got ${JSON.stringify(brokers)}`)
  }
  const kafka = new Kafka({ clientId, brokers })
  return kafka.producer({
    idempotent: true, // the broker drops a retried batch it already wrote; send() then refuses any acks but -1
    maxInFlightRequests: 1, // KafkaJS's default is no limit; one request at a time keeps retries in order
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 30_000 }, // after that, send() rejects
    createPartitioner: Partitioners.DefaultPartitioner, // murmur2 on the key, like the Java client
  })
}
// --8<-- [end:config]

// --8<-- [start:send]
export async function sendAll(brokers, topic, batches) {
  if (typeof topic !== 'string' || topic === '') {
    throw new TypeError(`topic must be a non-empty string, got ${JSON.stringify(topic)}`)
  }
  const producer = createProducer(brokers)
  await producer.connect()
  const acknowledged = []
  try {
    for (const messages of batches) {
      // Resolves when every in-sync replica has the batch; a rejection means "maybe not written": send again.
      acknowledged.push(...(await producer.send({ topic, acks: -1, messages })))
    }
  } finally {
    await producer.disconnect() // waits for requests in flight, then closes the connections
  }
  return acknowledged
}
// --8<-- [end:send]
