import HooklineCore
import Testing

@Suite("verification from many tasks at once")
struct ConcurrentVerificationTests {
    @Test("one verifier serves 64 tasks × 200 requests with no wrong verdict")
    func manyTasks() async throws {
        let secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_plJ3nmyCDGBKInavdOK15jsl"]
        let scheme = StandardWebhooksScheme()
        let verifier = try SignatureVerifier(scheme: scheme, secrets: secrets)
        let signers = try secrets.map { try SignatureSigner(scheme: scheme, secret: $0) }
        let now = UnixTime(seconds: 1_700_000_000)

        let wrong = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<64 {
                group.addTask {
                    var mismatches = 0
                    for request in 0..<200 {
                        let body = bytes(#"{"task":\#(task),"request":\#(request)}"#)
                        let secretIndex = (task + request) % 2
                        var headers = try signers[secretIndex].headers(for: body, messageID: "msg_\(task)_\(request)", timestamp: now.seconds)
                        let tampered = request % 5 == 0
                        if tampered { headers[1].value = String(now.seconds + 1) }
                        let verdict = verifier.verify(body: body, headers: HeaderList(headers), receivedAt: now)
                        let expected: SignatureVerdict =
                            tampered
                            ? .rejected(.noMatchingSignature("webhook-signature", checked: 1)) : .verified(secretIndex: secretIndex)
                        if verdict != expected { mismatches += 1 }
                    }
                    return mismatches
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(wrong == 0)
    }
}
