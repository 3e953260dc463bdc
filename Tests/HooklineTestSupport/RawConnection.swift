import Foundation
import HooklineCore

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection for sending bytes HTTP clients refuse to send. Its reads block, so they run
/// on a thread of their own: a test holding one of the cooperative pool's threads (two, on two
/// cores) for seconds would starve every other test in the process.
package final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    package init(port: Int, receiveTimeout: Duration = .seconds(5), receiveBuffer: Int? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawConnectionError(what: "socket") }
        if var size = receiveBuffer.map(Int32.init) {
            // Set before connect, so the window the peer sees is small from the start.
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: Int(receiveTimeout.components.seconds), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw RawConnectionError(what: "connect")
        }
    }

    deinit { close(descriptor) }

    /// Sends `text`; false once the peer has closed the connection.
    @discardableResult
    package func send(_ text: String) -> Bool { send(bytes: Array(text.utf8)) }

    @discardableResult
    package func send(bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Sends `request` over and over without reading, until `maxBytes` are sent or the peer
    /// has accepted nothing for `stall` (it stopped reading). Returns the bytes sent and whether
    /// it stalled.
    package func flood(_ request: String, maxBytes: Int, stall: Duration) async -> (sent: Int, stalled: Bool) {
        await offThePool { self.floodBlocking(request, maxBytes: maxBytes, stall: stall) }
    }

    private func floodBlocking(_ request: String, maxBytes: Int, stall: Duration) -> (sent: Int, stalled: Bool) {
        let chunk = Array(String(repeating: request, count: max(1, 65536 / request.utf8.count)).utf8)
        var sent = 0
        while sent < maxBytes {
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: stall.wholeMilliseconds))
            if ready == 0 { return (sent, true) }
            if poller.revents & Int16(POLLERR | POLLHUP) != 0 { return (sent, false) }
            let count = chunk.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { continue }
                return (sent, false)
            }
            sent += count
        }
        return (sent, false)
    }

    /// Whether the peer closes the connection (a FIN or a reset) within `timeout` — found without
    /// reading, so the connection stays one that never reads.
    package func waitForClose(timeout: Duration) async -> Bool {
        await offThePool { self.waitForCloseBlocking(timeout: timeout) }
    }

    private func waitForCloseBlocking(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if peerClosed(within: 100) { return true }
        }
        return false
    }

    /// Whether the peer closes the connection (a FIN or a reset) within `milliseconds`, found
    /// without reading.
    private func peerClosed(within milliseconds: Int32) -> Bool {
        let closed = Int16(0x2000) | Int16(POLLHUP) | Int16(POLLERR)  // 0x2000: POLLRDHUP
        var poller = pollfd(fd: descriptor, events: Int16(0x2000), revents: 0)
        return poll(&poller, 1, milliseconds) > 0 && poller.revents & closed != 0
    }

    /// Sends `text` one byte at a time, `every` apart, watching for the peer's close between
    /// bytes; whether it closed, and when after the first byte. On a thread of its own, so a busy
    /// cooperative pool does not slow the trickle or the moment the close is seen.
    package func trickle(_ text: String, every: Duration, giveUpAfter: Duration) async -> (closed: Bool, elapsed: Duration) {
        await offThePool { self.trickleBlocking(Array(text.utf8), every: every, giveUpAfter: giveUpAfter) }
    }

    private func trickleBlocking(_ bytes: [UInt8], every: Duration, giveUpAfter: Duration) -> (closed: Bool, elapsed: Duration) {
        let started = ContinuousClock.now
        let pause = Int32(clamping: every.wholeMilliseconds)
        var index = 0
        while ContinuousClock.now - started < giveUpAfter {
            if index < bytes.count {
                guard send(bytes: [bytes[index]]) else { return (true, ContinuousClock.now - started) }
                index += 1
            }
            if peerClosed(within: pause) { return (true, ContinuousClock.now - started) }
        }
        return (false, ContinuousClock.now - started)
    }

    /// Reads until the peer closes or `timeout` passes; returns what arrived.
    package func readUntilClosed() async -> (text: String, closed: Bool) {
        await offThePool { self.readUntilClosedBlocking() }
    }

    private func readUntilClosedBlocking() -> (text: String, closed: Bool) {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                collected.append(contentsOf: buffer[0..<count])
                continue
            }
            // A close with unread bytes in the server's buffer arrives as a reset, not an EOF.
            return (String(decoding: collected, as: UTF8.self), count == 0 || errno == ECONNRESET)
        }
    }

    /// Reads one response's worth of bytes (until the body's end for a Content-Length answer).
    package func readResponse() async -> String {
        await offThePool { self.readResponseBlocking() }
    }

    private func readResponseBlocking() -> String {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let text = String(decoding: collected, as: UTF8.self)
            if let headerEnd = text.range(of: "\r\n\r\n") {
                let head = text[..<headerEnd.lowerBound].lowercased()
                if let lengthLine = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                    let length = Int(lengthLine.dropFirst("content-length:".count).trimmingCharacters(in: " ")),
                    text.utf8.count - text.utf8.distance(from: text.startIndex, to: headerEnd.upperBound) >= length
                {
                    return text
                }
            }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return text }
            collected.append(contentsOf: buffer[0..<count])
        }
    }
}

/// Runs blocking work on a new thread and resumes with its result.
package struct RawConnectionError: Error {
    package let what: String
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var result = self
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return result
    }
}

extension String {
    fileprivate func range(of needle: String) -> Range<String.Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) { return index..<self.index(index, offsetBy: needle.count) }
            index = self.index(after: index)
        }
        return nil
    }
}
