import AsyncHTTPClient
import HooklineCore
import NIOCore
import NIOHTTP1

/// Sends a body to a Hookline endpoint the way the source's sender would: signed with the
/// source's scheme and first secret. Used by `hookline replay --to`, `hookline demo` and tests.
package struct WebhookDeliverer: Sendable {
    /// What the endpoint answered.
    package struct Answer: Sendable {
        package var status: Int
        package var body: JSONValue?
        package var headers: [HeaderField]

        /// The `status` member of the JSON answer.
        package var outcome: String? { body?["status"]?.stringValue }
        /// The `error` member of the JSON answer.
        package var error: String? { body?["error"]?.stringValue }
        /// The event id of a 202.
        package var eventID: String? { body?["id"]?.stringValue }
    }

    private let client: HTTPClient

    package init(client: HTTPClient = .shared) {
        self.client = client
    }

    /// POSTs `body` to `url`, signed for `source`. Extra headers (an event-type header, say) are added as given.
    package func deliver(
        _ body: [UInt8],
        to url: String,
        source: SourceSettings,
        messageID: String = MessageIDGenerator.random(),
        timestamp: UnixTime = .now(),
        extraHeaders: [HeaderField] = [],
        timeout: Duration = .seconds(30)
    ) async throws -> Answer {
        let signature = try source.verifier.signatureHeaders(for: body, messageID: messageID, timestamp: timestamp.seconds)
        return try await post(body, to: url, headers: signature + extraHeaders, timeout: timeout)
    }

    /// POSTs `body` with exactly `headers` (plus a JSON content type).
    package func post(_ body: [UInt8], to url: String, headers: [HeaderField], timeout: Duration = .seconds(30)) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .milliseconds(timeout.wholeMilliseconds))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = bytes.withUnsafeReadableBytes { try? JSONParser.parse($0) }
        return Answer(
            status: Int(response.status.code), body: json,
            headers: response.headers.map { HeaderField(name: $0.name, value: $0.value) })
    }
}
