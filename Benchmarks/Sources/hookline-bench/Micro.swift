import ArgumentParser
import HooklineCore
import HooklineServer
import NIOCore
import NIOHTTP1

/// The hot path's pure steps, one at a time, on the benchmark's 600-byte Standard Webhooks
/// contact update: nanoseconds per call, single thread, release build.
struct Micro: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "micro", abstract: "Time verify, decode and the audit line per call.")

    @Option(help: "Calls per measurement.") var iterations = 200_000
    @Option(help: "Only this step (verify, decode, audit or journal), e.g. under perf record.") var only: String?
    @Option(help: "Owed events the journal step grows its table to.") var owed = 200_000

    func run() throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let body = SignRequests.body(7, contacts: 5000)
        let now = UnixTime.now()
        let signed = try SignatureSigner(scheme: StandardWebhooksScheme(), secret: secret)
            .headers(for: body, messageID: "msg_micro_1", timestamp: now.seconds)
        var nioHeaders = HTTPHeaders()
        for field in signed { nioHeaders.add(name: field.name, value: field.value) }
        nioHeaders.add(name: "content-type", value: "application/json")
        let headers = NIOHeaderFields(headers: nioHeaders)
        let verifier = try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: [secret])
        let decoder = SourceKind.standard
        let context = MessageContext(messageID: "msg_micro_1", eventType: nil)

        // Each measurement checks its own result, so a broken step cannot report a fast time.
        var accepted = 0
        let verify = measure("verify") {
            if case .verified = body.withUnsafeBytes({ verifier.verify(body: $0, headers: headers, receivedAt: now) }) { accepted += 1 }
        }
        guard verify == nil || accepted == Self.runs * iterations else { throw ValidationError("verify rejected the benchmark's own signature") }

        var contacts = 0
        let decode = measure("decode") {
            if case .contact? = try? body.withUnsafeBytes({ try decoder.decode(bytes: $0, context: context) }) { contacts += 1 }
        }
        guard decode == nil || contacts == Self.runs * iterations else { throw ValidationError("decode failed on the benchmark's own body") }

        var line: [UInt8] = []
        line.reserveCapacity(4096)
        let record = Self.receivedRecord(for: body, at: now)
        var bytes = 0
        let audit = measure("audit") {
            line.removeAll(keepingCapacity: true)
            record.appendJSONLine(to: &line)
            bytes += line.count
        }
        guard audit == nil || bytes > Self.runs * iterations * body.count else { throw ValidationError("the audit line is shorter than its payload") }

        let journal = only == nil || only == "journal" ? try growJournal(at: now) : nil

        print("\(body.count)-byte Standard Webhooks contact update, \(iterations) calls each:")
        print("  verify (HMAC-SHA256 via libcrypto, headers, timestamp)  \(Self.show(verify))")
        print("  decode (JSON parse + contact patch)                     \(Self.show(decode))")
        print("  audit line (the received line with its payload)         \(Self.show(audit))")
        if let journal {
            print("journal: \(owed) owed events applied 10 lines a batch, as the writer does while a target is down:")
            print("  per line \(journal.perLine) ns; slowest batch \(journal.worst / 1000) µs; batches over 500 µs: \(journal.over500)")
        }
    }

    /// Applies `owed` distinct `received` lines to a fresh journal in batches of ten, the way the
    /// writer thread applies a batch under its lock: what a line costs, and how long the longest
    /// batch held the lock (a table growing inside it).
    private func growJournal(at now: UnixTime) throws -> (perLine: Int, worst: Int, over500: Int) {
        var journal = AuditLogIndex()
        let summaries = (0..<owed).map { index in
            AuditLineSummary(
                ts: now, outcome: .received, event: "evt_01M8W4E77NTWR3FEEC\(index)", message: "msg_\(index)", source: "standard",
                targets: ["omnichannel"])
        }
        var total = Duration.zero, worst = Duration.zero, over500 = 0
        var offset: Int64 = 0
        for batch in stride(from: 0, to: summaries.count, by: 10) {
            let started = ContinuousClock.now
            for summary in summaries[batch..<min(batch + 10, summaries.count)] {
                journal.apply(summary, offset: offset)
                offset += 900
            }
            let took = ContinuousClock.now - started
            total += took
            worst = max(worst, took)
            if took > .microseconds(500) { over500 += 1 }
        }
        guard journal.pendingCount == owed else { throw ValidationError("the journal owes \(journal.pendingCount) events, not \(owed)") }
        return (Int(total.wholeNanoseconds) / max(owed, 1), Int(worst.wholeNanoseconds), over500)
    }

    static let runs = 3

    static func show(_ nanoseconds: Int?) -> String { nanoseconds.map { "\($0) ns" } ?? "not run" }

    /// Nanoseconds per call of `body`, the best of `runs` runs.
    private func measure(_ step: String, _ body: () -> Void) -> Int? {
        if let only, only != step { return nil }
        var best = Duration.seconds(1_000_000)
        for _ in 0..<Self.runs {
            let started = ContinuousClock.now
            for _ in 0..<iterations { body() }
            best = min(best, ContinuousClock.now - started)
        }
        return Int(best.wholeNanoseconds / Int64(iterations))
    }
}

extension Micro {
    /// The `received` record the benchmark's body becomes (its line is what the writer encodes
    /// and syncs), for the micro measurement and `durable-write`.
    static func receivedRecord(for body: [UInt8], at time: UnixTime) -> AuditRecord {
        AuditRecord(
            ts: time, outcome: .received, event: "evt_01M8145QAR9JKCDJG38QP2QN8K", message: "msg_micro_1", source: "standard",
            type: "contact.updated", contact: "c_7", targets: ["omnichannel"], payload: body)
    }
}
