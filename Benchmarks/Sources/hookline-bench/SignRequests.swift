import ArgumentParser
import HooklineCore
import HooklineServer

/// Pre-signed Standard Webhooks requests for wrk (its Lua cannot compute an HMAC): each file
/// holds raw HTTP/1.1 requests, each preceded by its length on a line of its own.
struct SignRequests: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sign-requests", abstract: "Write signed requests for wrk.")

    @Option(help: "Requests in all.") var count = 200_000
    @Option(help: "Files (one per wrk thread).") var files = 2
    @Option(help: "The source's Standard Webhooks secret.") var secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    @Option(help: "Host header.") var host = "127.0.0.1"
    @Option(help: "Request path.") var path = "/webhooks/standard"
    @Option(help: "Distinct contacts the updates spread over.") var contacts = 5000
    @Option(help: "The first request's number: sets signed for different instances must not share message ids.") var first = 0
    @Argument(help: "Directory to write requests-<n>.bin into.") var directory: String

    /// A 600-byte contact update.
    static func body(_ index: Int, contacts: Int) -> [UInt8] {
        var text = ##"{"type":"contact.updated","timestamp":"2026-11-20T09:20:31Z","data":{"id":"c_\##(index % contacts)","first_name":"Priya","last_name":"Raman","email":"priya.raman+\##(index)@raman-architects.example","job_title":"Managing Principal","phones":[{"kind":"mobile","number":"+44 7700 900123","country":"GB"}],"company":{"name":"Raman Architects"},"language":"en","country_code":"GB","external_references":{"buildr":"2279"},"custom_fields":{"note":"x"##
        text += String(repeating: "x", count: max(0, 600 - text.utf8.count - 4)) + ##""}}}"##
        return Array(text.utf8)
    }

    func run() throws {
        let signer = try SignatureSigner(scheme: StandardWebhooksScheme(), secret: secret)
        let now = UnixTime.now().seconds
        let perFile = (count + files - 1) / files
        for file in 0..<files {
            let sink = try FileSink(path: "\(directory)/requests-\(file).bin")
            var output: [UInt8] = []
            output.reserveCapacity(64 << 20)
            for offset in 0..<perFile {
                let index = first + file * perFile + offset
                let body = Self.body(index, contacts: contacts)
                let headers = try signer.headers(for: body, messageID: "msg_bench_\(now)_\(index)", timestamp: now)
                var request = "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\n"
                for header in headers { request += "\(header.name): \(header.value)\r\n" }
                request += "Content-Length: \(body.count)\r\n\r\n"
                let bytes = Array(request.utf8) + body
                output.append(contentsOf: "\(bytes.count)\n".utf8)
                output.append(contentsOf: bytes)
                if output.count > 32 << 20 {
                    try sink.write(output)
                    output.removeAll(keepingCapacity: true)
                }
            }
            try sink.write(output)
            sink.close()
        }
        print("wrote \(perFile * files) signed requests in \(files) files to \(directory)")
    }
}
