import ArgumentParser
import HooklineCore
import HooklineServer

/// Writes a realistic audit log: events with 600-byte payloads, retries, terminal lines, and a
/// number of events left unfinished for recovery to re-queue.
struct GenerateLog: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate-log", abstract: "Write an audit log of N lines.")

    @Option(help: "Lines to write.")
    var lines = 1_000_000

    @Option(help: "Events left unfinished (recovery re-queues them).")
    var pending = 1000

    @Argument(help: "Where to write it.")
    var path: String

    static func payload(_ index: Int) -> [UInt8] {
        let contact = "c_\(index % 5000)"
        var body = ##"{"type":"contact.updated","timestamp":"2026-11-20T09:20:31Z","data":{"id":"\##(contact)","first_name":"Priya","last_name":"Raman","email":"priya.raman+\##(index)@raman-architects.example","job_title":"Managing Principal","phones":[{"kind":"mobile","number":"+44 7700 900123","country":"GB"}],"company":{"name":"Raman Architects"},"language":"en","country_code":"GB","external_references":{"buildr":"2279"},"custom_fields":{"plannr_account_uuid":"73b5cb71-6779-40a9-9ddc-33b16ada4da6","note":"x"##
        body += String(repeating: "x", count: max(0, 600 - body.utf8.count - 4)) + ##""}}}"##
        return Array(body.utf8)
    }

    func run() throws {
        var generator = SystemRandomNumberGenerator()
        var output: [UInt8] = []
        output.reserveCapacity(64 << 20)
        var written = 0
        var index = 0
        let start = UnixTime.now() - .seconds(3600)
        let file = try FileSink(path: path)
        while written < lines {
            let ts = start + .milliseconds(Int64(index))
            let id = EventID.make(at: ts, using: &generator)
            let received = AuditRecord(
                ts: ts, outcome: .received, event: id, message: "msg_\(index)", source: "standard", type: "contact.updated",
                contact: "c_\(index % 5000)", targets: ["omnichannel"], payload: Self.payload(index))
            received.appendJSONLine(to: &output)
            written += 1
            let unfinished = index % max(1, (lines / 2) / max(1, pending)) == 0 && index / max(1, (lines / 2) / max(1, pending)) < pending
            if index % 10 == 0 {
                AuditRecord(
                    ts: ts, outcome: .retry, event: id, source: "standard", type: "contact.updated", contact: "c_\(index % 5000)",
                    target: "omnichannel", attempt: 1, status: 503, ms: 12, retryInMs: 800, request: "PUT /contacts/c_\(index % 5000)",
                    error: "HTTP 503: service unavailable"
                ).appendJSONLine(to: &output)
                written += 1
            }
            if !unfinished {
                AuditRecord(
                    ts: ts, outcome: .applied, event: id, source: "standard", type: "contact.updated", contact: "c_\(index % 5000)",
                    target: "omnichannel", attempt: 1, status: 200, ms: 9, request: "PUT /contacts/c_\(index % 5000)"
                ).appendJSONLine(to: &output)
                written += 1
            }
            index += 1
            if output.count > 32 << 20 {
                try file.write(output)
                output.removeAll(keepingCapacity: true)
            }
        }
        try file.write(output)
        file.close()
        print("wrote \(written) lines (\(index) events) to \(path)")
    }
}
