import HooklineCore
import HooklineServer
import NIOHTTP1
import Testing

@Suite("NIO header fields")
struct NIOHeaderFieldsTests {
    @Test("every value of a name is found without case, in order, as values(forName:) finds them")
    func forEachValue() {
        let headers = NIOHeaderFields(headers: HTTPHeaders([
            ("Webhook-Signature", "v1,a"), ("webhook-id", "msg_1"), ("WEBHOOK-SIGNATURE", "v1,b"),
            ("webhook-signaturex", "v1,c"), ("webhook-signatur", "v1,d"), ("wEbHoOk-SiGnAtUrE", "v1,e"),
        ]))
        var seen: [String] = []
        headers.forEachValue(forName: "webhook-signature") { seen.append($0) }
        #expect(seen == ["v1,a", "v1,b", "v1,e"])
        #expect(seen == headers.values(forName: "webhook-signature"))
        var none: [String] = []
        headers.forEachValue(forName: "svix-signature") { none.append($0) }
        #expect(none.isEmpty)
    }

    @Test("a Standard Webhooks delivery with its headers in any case verifies through NIO's headers")
    func verifiesAnyCase() throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let body = Array(#"{"type":"contact.updated","data":{"id":"c_1"}}"#.utf8)
        let signed = try SignatureSigner(scheme: StandardWebhooksScheme(), secret: secret)
            .headers(for: body, messageID: "msg_case", timestamp: 1_795_000_000)
        var nio = HTTPHeaders()
        for field in signed { nio.add(name: field.name.uppercased(), value: field.value) }
        let verifier = try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: [secret])
        let verdict = verifier.verify(body: body, headers: NIOHeaderFields(headers: nio), receivedAt: UnixTime(seconds: 1_795_000_010))
        #expect(verdict == .verified(secretIndex: 0))
    }
}
