#!/usr/bin/env python3
"""A small OTLP/HTTP trace receiver for Hookline's tests (Debian has no OpenTelemetry Collector).

Listens on 127.0.0.1 (port 0 unless given), decodes every `POST /v1/traces` body as an
`ExportTraceServiceRequest` (protobuf, as the collector does) and appends each span it holds to
a JSONL file: ids in hex, kind, attributes, links, status and the resource's service name.
Answers `application/x-protobuf` with an empty `ExportTraceServiceResponse`. Prints
`listening on PORT` once it listens; stops on SIGTERM or when its stdin closes.

    python3 otlp_receiver.py --out spans.jsonl [--port 4318]
"""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    found = getattr(any_value, kind)
    if kind == "array_value":
        return [value(v) for v in found.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in found.values}
    if kind == "bytes_value":
        return found.hex()
    return found


def attributes(pairs):
    return {kv.key: value(kv.value) for kv in pairs}


class Receiver(BaseHTTPRequestHandler):
    out = None
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path != "/v1/traces":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        request = trace_service_pb2.ExportTraceServiceRequest()
        try:
            if self.headers.get("Content-Type", "").startswith("application/json"):
                from google.protobuf import json_format
                json_format.Parse(body, request)
            else:
                request.ParseFromString(body)
        except Exception as error:  # a body that is not one: 400, as a collector answers
            self.send_response(400)
            message = str(error).encode()
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)
            return
        lines = []
        for resource_spans in request.resource_spans:
            service = attributes(resource_spans.resource.attributes).get("service.name")
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    lines.append(json.dumps({
                        "service": service,
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(),
                        "name": span.name,
                        "kind": KINDS.get(span.kind, str(span.kind)),
                        "attributes": attributes(span.attributes),
                        "links": [{"trace_id": link.trace_id.hex(), "span_id": link.span_id.hex(),
                                   "attributes": attributes(link.attributes)} for link in span.links],
                        "status": {"code": span.status.code, "message": span.status.message},
                        "start": span.start_time_unix_nano,
                        "end": span.end_time_unix_nano,
                    }, sort_keys=True))
        with Receiver.lock, open(Receiver.out, "a") as out:
            for line in lines:
                out.write(line + "\n")
        answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    Receiver.out = options.out
    open(options.out, "a").close()
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Receiver)
    print(f"listening on {server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Ends when the test closes stdin (or kills it).
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
