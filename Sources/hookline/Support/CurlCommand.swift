import HooklineCore

/// A curl command a person can paste to POST a file with headers.
enum CurlCommand {
    static func render(url: String, headers: [HeaderField], file: String) -> String {
        var lines = ["curl -sS -X POST \(ShellQuote.quote(url))", "-H 'content-type: application/json'"]
        lines += headers.map { "-H \(ShellQuote.quote("\($0.name): \($0.value)"))" }
        lines.append("--data-binary @\(ShellQuote.quote(file))")
        return lines.joined(separator: " \\\n  ") + "\n"
    }
}
