import AsyncHTTPClient
import NIOCore

/// Plain GETs for tests.
enum HTTPGet {
    struct Response {
        var status: Int
        var body: String
    }

    static func fetch(_ url: String) async throws -> Response {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 << 20)
        return Response(status: Int(response.status.code), body: String(buffer: body))
    }
}
