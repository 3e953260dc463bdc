import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for the tests — Debian's PostgreSQL, `initdb` into a
/// temporary directory (as the `postgres` user when the tests run as root), started on a free
/// loopback port — shared by every test in the process, one database per test. It is stopped
/// and removed when the test process exits.
package final class PostgresCluster: Sendable {
    package let port: Int
    package let directory: String
    private let binaries: String

    private static let started = Mutex<Task<PostgresCluster, any Error>?>(nil)

    /// The cluster, started on first use.
    package static func shared() async throws -> PostgresCluster {
        let task = started.withLock { task -> Task<PostgresCluster, any Error> in
            if let task { return task }
            let made = Task { try await offThePool { try PostgresCluster.start() } }
            task = made
            return made
        }
        return try await task.value
    }

    /// A cluster of its own, for a test that stops and starts its server: the shared one serves
    /// every other test at the same time. Stopped and removed when the test process exits.
    package static func dedicated() async throws -> PostgresCluster {
        try await offThePool { try PostgresCluster.start() }
    }

    private init(port: Int, directory: String, binaries: String) {
        self.port = port
        self.directory = directory
        self.binaries = binaries
    }

    /// Why the cluster could not be started or used.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    private static func start() throws -> PostgresCluster {
        let binaries = try findBinaries()
        let directory = NSTemporaryDirectory() + "hookline-pg-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", directory], asPostgres: false) }
        try run("\(binaries)/initdb", ["-D", "\(directory)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
        let port = freePort()
        let cluster = PostgresCluster(port: port, directory: directory, binaries: binaries)
        try cluster.startServer()
        ClusterCleanup.register(binaries: binaries, directory: directory)
        return cluster
    }

    /// Starts the server again after `stopServer`; returns once it accepts connections.
    package func restartServer() async throws {
        try await offThePool { try self.startServer() }
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`).
    package func crashServer() async throws {
        try await offThePool { try self.stopServer() }
    }

    /// Runs SQL in `database`; its output, one row a line, fields separated by `|`.
    package func query(_ statement: String, database: String) async throws -> String {
        try await offThePool { try self.sql(statement, database: database) }
    }

    private func startServer() throws {
        try Self.run(
            "\(binaries)/pg_ctl",
            [
                "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "30",
                // A test cluster is thrown away: it need not survive a power cut, only be quick
                // (fsync off). It must survive its server's crash, as the tests crash it: a commit
                // is written to the kernel before it is answered (synchronous_commit stays on).
                "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c full_page_writes=off",
                "start",
            ])
    }

    private func stopServer() throws {
        try Self.run("\(binaries)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
    }

    /// A new, empty database; its name.
    package func createDatabase() async throws -> String {
        try await offThePool { try self.createDatabaseNow() }
    }

    private func createDatabaseNow() throws -> String {
        let name = "hookline_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try Self.run("\(binaries)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-q", "-c", "CREATE DATABASE \(name) STRATEGY FILE_COPY"])
        return name
    }

    /// The URL Hookline's `store.url` takes for `database`.
    package func url(_ database: String) -> String { "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// The `store:` line of a configuration whose Hookline keeps its events in `database`.
    package func storeLine(_ database: String, lease: String = "3s") -> String {
        "store: {kind: postgres, url: \"\(url(database))\", lease: \(lease)}"
    }

    /// For a test run on each store (`file` or `postgres`): no `store:` line for the file store,
    /// else the line of a new database on the shared cluster.
    package static func storeLine(for store: String, lease: String = "3s") async throws -> String? {
        guard store == "postgres" else { return nil }
        let cluster = try await shared()
        return cluster.storeLine(try await cluster.createDatabase(), lease: lease)
    }

    private func sql(_ statement: String, database: String) throws -> String {
        try Self.run("\(binaries)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-qAt", "-c", statement])
    }

    private static func findBinaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        if let version = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        throw Failure(description: "PostgreSQL is not installed (no \(root)/*/bin/initdb); .ci/run installs Debian's postgresql")
    }

    /// Runs a command to its end (as the `postgres` user when the tests run as root); its
    /// output. Spawned and waited for directly: a server that pg_ctl leaves running must not
    /// hold the caller up, as a pipe or a process monitor it inherits would.
    @discardableResult
    private static func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true) throws -> String {
        let command = asPostgres && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        let outputPath = NSTemporaryDirectory() + "hookline-pg-run-" + UUID().uuidString
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else goes with it: the server pg_ctl leaves running would otherwise hold every
        // socket the other tests have open at that moment, and their closes would never arrive.
        closeInheritedDescriptors(&actions)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw Failure(description: "cannot start \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw Failure(description: "\(executable.split(separator: "/").last ?? "") failed (\(exited ? "exit \(code)" : "signal \(status & 0x7f)")): \(text.suffix(2000))")
        }
        return text
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34 and later), looked up at run time:
    /// the Glibc module does not declare it.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
        let addCloseFrom = unsafeBitCast(symbol, to: AddCloseFrom.self)
        _ = addCloseFrom(&actions, 3)
    }

    private static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Stops the cluster and removes its files when the test process exits.
private enum ClusterCleanup {
    private static let commands = Mutex<[String]>([])

    static func register(binaries: String, directory: String) {
        let prefix = getuid() == 0 ? "/usr/sbin/runuser -u postgres -- " : ""
        let first = commands.withLock { commands in
            commands.append("\(prefix)\(binaries)/pg_ctl -D \(directory)/data -m immediate stop >/dev/null 2>&1; rm -rf \(directory)")
            return commands.count == 1
        }
        guard first else { return }
        atexit {
            for command in ClusterCleanup.commands.withLock({ $0 }) { _ = system(command) }
        }
    }
}
