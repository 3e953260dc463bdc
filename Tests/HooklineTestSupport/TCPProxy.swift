import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on a loopback port to `upstream`, that a test can cut: while cut, nothing crosses
/// in either direction and new connections wait — a partition, as a switch or a firewall makes
/// one, with every socket still open (nobody is told). It remembers when the last bytes went
/// upstream, so a test can say when the client last sent anything.
///
/// Its threads share the test process with everything else, so a descriptor is closed only by
/// the one thread that last uses it: a number closed early could be reused by another test's
/// socket, and a proxy thread would then read or write someone else's connection.
package final class TCPProxy: Sendable {
    package let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    private let state = Mutex(State())

    private struct State {
        var cut = false
        var stopped = false
        var lastUpstreamBytes: ContinuousClock.Instant?
        var connections: [ObjectIdentifier: Connection] = [:]
    }

    /// One proxied connection: its two descriptors, closed together once both pumps are done.
    private final class Connection: Sendable {
        let client: Int32
        let server: Int32
        /// Pumps still running; at zero both descriptors are closed. Under the same lock as
        /// `shutDown`, so a stop that races the last pump never shuts down a reused number.
        private let pumps = Mutex(2)

        init(client: Int32, server: Int32) {
            self.client = client
            self.server = server
        }

        /// Wakes both pumps (their reads return), without closing anything.
        func shutDown() {
            pumps.withLock { pumps in
                guard pumps > 0 else { return }
                shutdown(client, Int32(SHUT_RDWR))
                shutdown(server, Int32(SHUT_RDWR))
            }
        }

        /// A pump is done; the last one closes both descriptors. Whether it was the last.
        func pumpEnded() -> Bool {
            pumps.withLock { pumps -> Bool in
                pumps -= 1
                guard pumps == 0 else { return false }
                close(client)
                close(server)
                return true
            }
        }
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

    /// Stops accepting and ends every connection. The threads close their own descriptors.
    package func stop() {
        let connections = state.withLock { state -> [Connection] in
            state.stopped = true
            return Array(state.connections.values)
        }
        // The accept loop polls, sees the stop within 50 ms and closes the listener itself.
        for connection in connections { connection.shutDown() }
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
        defer { close(listener) }
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 50)
            guard ready > 0, !isStopped else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            // A connection made while cut waits, as its SYN would, until the cut ends.
            while isCut && !isStopped { usleep(20_000) }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0, !isStopped else {
                close(client)
                if server >= 0 { close(server) }
                continue
            }
            let connection = Connection(client: client, server: server)
            state.withLock { $0.connections[ObjectIdentifier(connection)] = connection }
            Thread { [self] in pump(connection, upstream: true) }.start()
            Thread { [self] in pump(connection, upstream: false) }.start()
        }
    }

    /// Copies bytes one way until either side closes; while cut, reads nothing.
    private func pump(_ connection: Connection, upstream: Bool) {
        let source = upstream ? connection.client : connection.server
        let destination = upstream ? connection.server : connection.client
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        defer {
            // Either side gone: the other pump's reads end too.
            connection.shutDown()
            if connection.pumpEnded() { _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) } }
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
                // MSG_NOSIGNAL: a peer gone is an error here, not a SIGPIPE for the whole test process.
                let written = buffer[sent..<count].withUnsafeBytes { send(destination, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard written > 0 else { return }
                sent += written
            }
            if upstream { state.withLock { $0.lastUpstreamBytes = .now } }
        }
    }
}
