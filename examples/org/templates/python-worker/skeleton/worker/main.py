"""Entry point for the ${{ values.name }} worker.

Consumes messages from {% if values.source == "kafka" %}a Kafka topic{% else %}an SQS queue{% endif %},
hands each one to `handle`, and exposes Prometheus metrics on :9464.
"""

import json
import os
import signal
import time

import structlog
from prometheus_client import Counter, Histogram, start_http_server

SERVICE = "${{ values.name }}"
log = structlog.get_logger(service=SERVICE)

PROCESSED = Counter("worker_messages_total", "Messages processed", ["outcome"])
DURATION = Histogram("worker_handle_seconds", "Time spent in handle()")

_running = True


def _stop(signum, _frame):
    global _running
    log.info("shutdown requested", signal=signum)
    _running = False


def handle(message: dict) -> None:
    """Process one message. Raise to have it retried."""
    log.info("handling message", message_id=message.get("id"))


def poll(batch_size: int = 10) -> list[dict]:
{%- if values.source == "kafka" %}
    from confluent_kafka import Consumer  # imported lazily to keep tests light

    global _consumer
    if "_consumer" not in globals():
        _consumer = Consumer({
            "bootstrap.servers": os.environ["KAFKA_BROKERS"],
            "group.id": SERVICE,
            "enable.auto.commit": False,
        })
        _consumer.subscribe([os.environ["KAFKA_TOPIC"]])
    msgs = _consumer.consume(num_messages=batch_size, timeout=1.0)
    return [json.loads(m.value()) for m in msgs if m.error() is None]
{%- else %}
    import boto3  # imported lazily to keep tests light

    sqs = boto3.client("sqs")
    resp = sqs.receive_message(
        QueueUrl=os.environ["QUEUE_URL"], MaxNumberOfMessages=batch_size, WaitTimeSeconds=10
    )
    out = []
    for m in resp.get("Messages", []):
        body = json.loads(m["Body"])
        body["_receipt_handle"] = m["ReceiptHandle"]
        out.append(body)
    return out
{%- endif %}


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    start_http_server(9464)
    log.info("worker started")
    while _running:
        for message in poll():
            start = time.monotonic()
            try:
                handle(message)
                PROCESSED.labels(outcome="ok").inc()
            except Exception:
                PROCESSED.labels(outcome="error").inc()
                log.exception("handle failed", message_id=message.get("id"))
            finally:
                DURATION.observe(time.monotonic() - start)


if __name__ == "__main__":
    main()
