import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on a loopback port to `upstream`, that a test can cut: while cut, nothing crosses
/// in either direction and new connections wait — a partition, as a switch or a firewall makes
/// one, with every socket still open (nobody is told). It remembers when the last bytes went
/// upstream, so a test can say when the client last sent anything.
package final class TCPProxy: Sendable {
    package let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    private let state = Mutex(State())

    private struct State {
        var cut = false
        var stopped = false
        var lastUpstreamBytes: ContinuousClock.Instant?
        var descriptors: Set<Int32> = []
    }

    /// Starts forwarding 127.0.0.1:`port` (a free one) to 127.0.0.1:`upstreamPort`.
    package init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw PostgresCluster.Failure(description: "proxy: socket: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0, listen(descriptor, 128) == 0 else {
            close(descriptor)
            throw PostgresCluster.Failure(description: "proxy: bind/listen: errno \(errno)")
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = descriptor
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops everything crossing, both ways, without closing anything.
    package func cut() { state.withLock { $0.cut = true } }

    /// Lets everything through again, where it stopped.
    package func restore() { state.withLock { $0.cut = false } }

    /// When bytes last went from a client to the upstream server.
    package var lastUpstreamBytes: ContinuousClock.Instant? { state.withLock { $0.lastUpstreamBytes } }

    /// Closes the listener and every connection.
    package func stop() {
        let descriptors = state.withLock { state -> Set<Int32> in
            state.stopped = true
            return state.descriptors
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for descriptor in descriptors { shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    private var isCut: Bool { state.withLock { $0.cut } }
    private var isStopped: Bool { state.withLock { $0.stopped } }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    private func acceptLoop() {
        while !isStopped {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            // A connection made while cut waits, as its SYN would, until the cut ends.
            while isCut && !isStopped { usleep(20_000) }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            state.withLock { $0.descriptors.formUnion([client, server]) }
            Thread { [self] in pump(from: client, to: server, upstream: true) }.start()
            Thread { [self] in pump(from: server, to: client, upstream: false) }.start()
        }
    }

    /// Copies bytes one way until either side closes; while cut, reads nothing.
    private func pump(from source: Int32, to destination: Int32, upstream: Bool) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        defer {
            shutdown(destination, Int32(SHUT_WR))
            shutdown(source, Int32(SHUT_RD))
            _ = state.withLock { $0.descriptors.remove(source) }
            close(source)
        }
        while !isStopped {
            if isCut {
                usleep(20_000)
                continue
            }
            var poller = pollfd(fd: source, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 50)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            guard ready > 0 else { return }
            // Cut between the poll and the read: leave the bytes where they are.
            if isCut { continue }
            let count = read(source, &buffer, buffer.count)
            guard count > 0 else { return }
            var sent = 0
            while sent < count {
                let written = buffer[sent..<count].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                guard written > 0 else { return }
                sent += written
            }
            if upstream { state.withLock { $0.lastUpstreamBytes = .now } }
        }
    }
}
