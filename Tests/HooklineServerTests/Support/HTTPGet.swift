import AsyncHTTPClient
import HooklineCore
import HooklineServer
import NIOCore

/// Plain GETs for tests.
enum HTTPGet {
    struct Response {
        var status: Int
        var body: String
        var headers: [HeaderField]
    }

    static func fetch(_ url: String) async throws -> Response {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return Response(
            status: Int(response.status.code), body: String(buffer: body),
            headers: response.headers.map { HeaderField(name: $0.name, value: $0.value) })
    }
}
