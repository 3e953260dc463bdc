import ArgumentParser
import Foundation
import HooklineCore
import HooklineServer

#if canImport(Glibc)
import Glibc
#endif

/// What the durable write alone costs on this machine: batches of the benchmark's `received`
/// line appended with one `write` and made durable with one `fdatasync` through Hookline's own
/// audit file, as the writer does under `fsync: batch`, with nothing else running. The CPU it
/// reports is the calling thread's (user + system), so it is the part of Hookline's CPU per
/// webhook that no change to the receiving code can remove at that batch size.
struct DurableWrite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "durable-write", abstract: "Time write + fdatasync of batches of received lines (the floor under fsync: batch).")

    @Option(help: "Deliveries per batch, comma-separated.") var batch = "1,5,10,20"
    @Option(help: "Batches per measurement.") var batches = 2000
    @Option(help: "Folder for the scratch log (use the audit log's file system).") var directory = NSTemporaryDirectory()

    func run() throws {
        let sizes = batch.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
        guard !sizes.isEmpty else { throw ValidationError("--batch needs positive numbers, e.g. 1,5,10") }
        let body = SignRequests.body(7, contacts: 5000)
        var line: [UInt8] = []
        Micro.receivedRecord(for: body, at: .now()).appendJSONLine(to: &line)
        let path = (directory as NSString).appendingPathComponent("hookline-durable-write-\(getpid()).jsonl")
        defer { _ = try? SystemCalls.unlink(path) }

        print("write + fdatasync of \(line.count)-byte received lines, \(batches) batches each (\(directory)):")
        for size in sizes {
            _ = try? SystemCalls.unlink(path)
            let file = try AuditFile.openLocked(path)
            defer { try? file.close() }
            var buffer: [UInt8] = []
            for _ in 0..<size { buffer.append(contentsOf: line) }
            let cpuBefore = Self.threadCPU()
            let started = ContinuousClock.now
            for _ in 0..<batches {
                try file.append(buffer)
                try file.sync()
            }
            let wall = (ContinuousClock.now - started).secondsValue * 1_000_000 / Double(batches)
            let cpu = (Self.threadCPU() - cpuBefore) * 1_000_000 / Double(batches)
            let row = "  \(size) per batch:".padding(toLength: 18, withPad: " ", startingAt: 0)
            print("\(row)\(Int(wall.rounded())) µs wall, \(Int(cpu.rounded())) µs CPU a batch = \(Int((cpu / Double(size)).rounded())) µs CPU a delivery")
        }
    }

    /// This thread's CPU time (user + system), in seconds.
    private static func threadCPU() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD (1): Glibc does not export the name
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
