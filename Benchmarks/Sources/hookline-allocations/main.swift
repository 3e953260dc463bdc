import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import MallocInterposerSwift

#if canImport(Glibc)
import Glibc
#endif

// Counts the allocations of one accepted webhook through the whole pipeline, bytes in to the
// journal write: a Hookline in this process (file journal, fsync: batch, its one target
// stalled so that only receiving runs) takes distinct signed 600-byte Standard Webhooks
// deliveries, one at a time over one keep-alive connection, from a client that allocates
// nothing while it is counted. Every thread's allocations count: the event loop's, the audit
// writer's, anything in the background while the requests run.
//
// The interposer counts only when preloaded:
//   LD_PRELOAD=.build/release/libMallocInterposerSwift.so .build/release/hookline-allocations
// Prints one JSON line: requests, mallocs, bytes, and per request.

func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments.dropFirst()
    guard let index = arguments.firstIndex(of: name), arguments.index(after: index) < arguments.endIndex else { return fallback }
    return Int(arguments[arguments.index(after: index)]) ?? fallback
}
let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func body(_ index: Int) -> [UInt8] {
    var text = ##"{"type":"contact.updated","timestamp":"2026-11-20T09:20:31Z","data":{"id":"c_busy","first_name":"Priya","last_name":"Raman","email":"priya.raman+\##(index)@raman-architects.example","job_title":"Managing Principal","phones":[{"kind":"mobile","number":"+44 7700 900123","country":"GB"}],"company":{"name":"Raman Architects"},"language":"en","country_code":"GB","external_references":{"buildr":"2279"},"custom_fields":{"note":"x"##
    text += String(repeating: "x", count: max(0, 600 - text.utf8.count - 4)) + ##""}}}"##
    return Array(text.utf8)
}

/// The requests, signed before anything is counted.
func requests(_ count: Int, port: Int) throws -> [[UInt8]] {
    let signer = try SignatureSigner(scheme: StandardWebhooksScheme(), secret: secret)
    let now = UnixTime.now().seconds
    return try (0..<count).map { index in
        let payload = body(index)
        var request = "POST /webhooks/standard HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
        for header in try signer.headers(for: payload, messageID: "msg_alloc_\(now)_\(index)", timestamp: now) {
            request += "\(header.name): \(header.value)\r\n"
        }
        request += "Content-Length: \(payload.count)\r\n\r\n"
        return Array(request.utf8) + payload
    }
}

struct ClientFailure: Error, CustomStringConvertible { let description: String }

/// A blocking HTTP/1.1 client that allocates nothing per request: it sends each request and
/// reads until the whole response (head and Content-Length body) is in its fixed buffer.
final class Client {
    let descriptor: Int32
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var statuses = [Int](repeating: 0, count: 600)

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ClientFailure(description: "cannot connect to 127.0.0.1:\(port): errno \(errno)") }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(descriptor) }

    func send(_ request: [UInt8]) throws {
        var sent = 0
        try request.withUnsafeBytes { bytes in
            while sent < bytes.count {
                let written = Glibc.send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, 0)
                guard written > 0 else { throw ClientFailure(description: "send failed: errno \(errno)") }
                sent += written
            }
        }
        var filled = 0
        var headEnd = -1
        var contentLength = 0
        try buffer.withUnsafeMutableBytes { buffer in
            while true {
                let read = recv(descriptor, buffer.baseAddress! + filled, buffer.count - filled, 0)
                guard read > 0 else { throw ClientFailure(description: "the connection closed mid-response") }
                filled += read
                if headEnd < 0, filled >= 4 {
                    for index in 3..<filled where buffer[index - 3] == 13 && buffer[index - 2] == 10 && buffer[index - 1] == 13 && buffer[index] == 10 {
                        headEnd = index + 1
                        contentLength = Self.contentLength(buffer, upTo: headEnd)
                        break
                    }
                }
                if headEnd >= 0, filled >= headEnd + contentLength { break }
            }
            // "HTTP/1.1 202": the status is bytes 9–11.
            let status = Int(buffer[9] - 48) * 100 + Int(buffer[10] - 48) * 10 + Int(buffer[11] - 48)
            if (0..<600).contains(status) { statuses[status] += 1 }
        }
    }

    /// The Content-Length value in the head, read without building strings.
    static func contentLength(_ buffer: UnsafeMutableRawBufferPointer, upTo end: Int) -> Int {
        let name = Array("content-length:".utf8)
        var index = 0
        while index + name.count < end {
            var matches = true
            for offset in 0..<name.count {
                var byte = buffer[index + offset]
                if byte >= 65 && byte <= 90 { byte += 32 }
                if byte != name[offset] {
                    matches = false
                    break
                }
            }
            if matches {
                var value = 0
                var cursor = index + name.count
                while cursor < end, buffer[cursor] == 32 { cursor += 1 }
                while cursor < end, buffer[cursor] >= 48, buffer[cursor] <= 57 {
                    value = value * 10 + Int(buffer[cursor] - 48)
                    cursor += 1
                }
                return value
            }
            index += 1
        }
        return 0
    }
}

/// Counts and prints; separate from the top level so that nothing here is the main actor's.
func measure(warmup: Int, counted: Int) async throws {
    let directory = NSTemporaryDirectory() + "hookline-allocations-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }

    try await withSandboxCRM { sandbox in
        // The target is stalled: the first job's call never returns, the rest wait in its lane.
        sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(.seconds(3600)), count: .max))
        let yaml = """
            server: {host: 127.0.0.1, port: 0, drain_timeout: 1s}
            audit: {path: "\(directory)/audit.jsonl", fsync: batch}
            queue: {capacity: 1000000, workers: 4}
            \(sandbox.standardToOmnichannelYAML(secret: secret))
            """
        let configuration = try ConfigurationLoader.load(yaml: yaml, file: "\(directory)/hookline.yaml", environment: [:])
        try await withRunningHookline(configuration) { running in
            let all = try requests(warmup + counted, port: running.port)
            let result: (mallocs: Int, bytes: Int, statuses: [Int]) = try await withCheckedThrowingContinuation { continuation in
                // A thread of its own: the client blocks, and must not hold one of the pool's.
                let thread = Thread {
                    do {
                        let client = try Client(port: running.port)
                        for request in all[..<warmup] { try client.send(request) }
                        MallocInterposerSwift.initialize()
                        MallocInterposerSwift.reset()
                        MallocInterposerSwift.hook()
                        for request in all[warmup...] { try client.send(request) }
                        MallocInterposerSwift.unhook()
                        let statistics = MallocInterposerSwift.getStatistics()
                        continuation.resume(returning: (statistics.mallocCount, statistics.mallocBytesCount, client.statuses))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.start()
            }
            let accepted = result.statuses[202]
            guard accepted == warmup + counted else {
                throw ClientFailure(description: "expected every request to be answered 202; got \(accepted) of \(warmup + counted)")
            }
            let perRequest = Double(result.mallocs) / Double(counted)
            let bytes = Double(result.bytes) / Double(counted)
            print(#"{"requests":\#(counted),"mallocs":\#(result.mallocs),"bytes":\#(result.bytes),"mallocs_per_request":\#(String(format: "%.2f", perRequest)),"bytes_per_request":\#(String(format: "%.0f", bytes))}"#)
        }
    }
}

try await measure(warmup: option("--warmup", 2000), counted: option("--requests", 5000))
