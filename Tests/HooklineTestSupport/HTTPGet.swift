import AsyncHTTPClient
import HooklineCore
import HooklineServer
import NIOCore

/// Plain GETs for tests.
package enum HTTPGet {
    package struct Response: Sendable {
        package var status: Int
        package var body: String
        package var headers: [HeaderField]
    }

    package static func fetch(_ url: String, timeout: Duration = .seconds(10)) async throws -> Response {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .nanoseconds(Int64(timeout.secondsValue * 1e9)))
        let body = try await response.body.collect(upTo: 4 << 20)
        return Response(
            status: Int(response.status.code), body: String(buffer: body),
            headers: response.headers.map { HeaderField(name: $0.name, value: $0.value) })
    }

    /// The status of a GET.
    package static func status(_ url: String) async throws -> Int {
        try await fetch(url).status
    }
}
