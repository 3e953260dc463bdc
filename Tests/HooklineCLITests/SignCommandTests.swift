import HooklineCore
import HooklineTestSupport
import HooklineTools
import Testing

@testable import hookline

#if canImport(Glibc)
import Glibc
#endif

@Suite("hookline sign")
struct SignCommandTests {
    /// Writes `contents` to a fresh temporary file and returns its path.
    static func temporaryFile(_ contents: String) throws -> String {
        var template = Array("/tmp/hookline-sign-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        try #require(descriptor >= 0)
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        try #require(written == bytes.count)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test("reproduces the Standard Webhooks vector byte for byte")
    func standardWebhooksVector() throws {
        let path = try Self.temporaryFile(#"{"test": 2432232314}"#)
        defer { unlink(path) }
        let command = try SignCommand.parse([
            "--scheme", "standard-webhooks", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330", path,
        ])
        #expect(
            try command.render() == """
                webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek
                webhook-timestamp: 1614265330
                webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=

                """)
    }

    @Test("reads the secret from the environment and prints a curl command")
    func curlFromEnvironment() throws {
        let path = try Self.temporaryFile("Hello, World!")
        defer { unlink(path) }
        let command = try SignCommand.parse([
            "--scheme", "github", "--secret-env", "GH_SECRET", "--curl", "http://127.0.0.1:8080/webhooks/gh", path,
        ])
        let output = try command.render(environment: ["GH_SECRET": "It's a Secret to Everybody"])
        #expect(
            output == """
                curl -sS -X POST http://127.0.0.1:8080/webhooks/gh \\
                  -H 'content-type: application/json' \\
                  -H 'X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' \\
                  --data-binary @\(path)

                """)
    }

    @Test("a missing secret variable, an unknown scheme and a missing file are usage errors")
    func usageErrors() throws {
        let path = try Self.temporaryFile("{}")
        defer { unlink(path) }
        let cases: [([String], String)] = [
            (["--scheme", "github", "--secret-env", "NOPE", path], "--secret-env: environment variable NOPE is not set"),
            (["--scheme", "hamc", "--secret", "x", path], "--scheme: unknown scheme 'hamc' (expected one of: standard-webhooks, stripe, github, plannr, hmac)"),
            (["--scheme", "hmac", "--secret", "x", path], "--header: the hmac scheme needs the name of its signature header"),
            (["--scheme", "github", "--secret", "x", "/nonexistent/body.json"], "cannot read /nonexistent/body.json: no such file or directory"),
        ]
        for (arguments, message) in cases {
            let command = try SignCommand.parse(arguments)
            #expect {
                try command.render(environment: [:])
            } throws: { error in
                guard let failure = error as? CommandFailure else { return false }
                return failure.exitCode == 2 && failure.message == message
            }
        }
    }

    @Test("a generated message id and timestamp still verify")
    func defaultsVerify() throws {
        let path = try Self.temporaryFile(#"{"type":"contact.updated"}"#)
        defer { unlink(path) }
        let secret = "whsec_" + Base64.encode(Array("a fresh secret".utf8))
        let output = try SignCommand.parse(["--scheme", "standard-webhooks", "--secret", secret, path]).render()
        let headers = HeaderList(
            output.split(separator: "\n").map { line in
                let parts = line.split(separator: ":", maxSplits: 1)
                return HeaderField(name: String(parts[0]), value: String(parts[1].dropFirst()))
            })
        #expect(headers.first("webhook-id")?.hasPrefix("msg_") == true)
        let verifier = try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: [secret])
        #expect(verifier.verify(body: Array(#"{"type":"contact.updated"}"#.utf8), headers: headers, receivedAt: .now()) == .verified(secretIndex: 0))
    }
}
