import AsyncHTTPClient
import HooklineCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Posts alerts to their channels: a webhook channel's body is the alert's JSON, signed as
/// Standard Webhooks with the channel's secret; a Slack channel's is `{"text": …}`. One attempt
/// per call: `AlertService` retries. Errors name the channel, never its URL (a Slack URL is a
/// token) or its secret.
package final class AlertDelivery: Sendable {
    private let client: HTTPClient
    static let timeout: Duration = .seconds(10)

    package init(group: any EventLoopGroup) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(5))
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
    }

    /// Why an alert did not get through, and whether trying again may help.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
        package var retryable: Bool
        /// What the channel asked for (`Retry-After`), if anything.
        package var retryAfter: Duration?
    }

    /// Sends `message` to `channel` once: the answer's status when it was a 2xx.
    package func send(_ message: AlertMessage, to channel: AlertChannel) async -> Result<Int, Failure> {
        var request = HTTPClientRequest(url: "")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Hookline-Alerts")
        let body: [UInt8]
        switch channel.kind {
        case .webhook(let url, let secret):
            request.url = url
            body = Array(JSONWriter.string(message.json).utf8)
            var generator = SystemRandomNumberGenerator()
            let id = "alert_" + String(UInt64.random(in: .min ... .max, using: &generator), radix: 36)
            do {
                let signer = try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: [secret])
                for header in try signer.signatureHeaders(for: body, messageID: id, timestamp: UnixTime.now().seconds) {
                    request.headers.add(name: header.name, value: header.value)
                }
            } catch {
                return .failure(Failure(description: "the alert could not be signed: \(error)", retryable: false))
            }
        case .slack(let url):
            request.url = url
            body = Array(JSONWriter.string(message.slack).utf8)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Self.timeout.wholeNanoseconds))
            // The body is read (to let the connection be reused) and dropped: it can echo anything.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return .success(status) }
            let retryAfter = response.headers.first(name: "retry-after").flatMap { Int64($0) }.map { Duration.seconds($0) }
            return .failure(
                Failure(description: "\(channel.name) answered \(status)", retryable: status == 429 || status == 408 || status >= 500, retryAfter: retryAfter))
        } catch {
            return .failure(Failure(description: "\(channel.name) (\(channel.host)) could not be reached: \(Self.describe(error))", retryable: true))
        }
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    /// A transport error in words that hold no URL.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            case .remoteConnectionClosed: return "the connection was closed"
            default: return "\(error)"
            }
        }
        if error is NIOConnectionError { return "the connection was refused" }
        return String(describing: type(of: error))
    }
}
