import HooklineCore
import Synchronization

/// Everything the sandbox holds, behind one lock.
final class SandboxState: Sendable {
    struct Contents: Sendable {
        var buildr: BuildrSandboxAPI
        var plannr: PlannrSandboxAPI
        var omnichannel: OmnichannelSandboxAPI
        var faults: [SandboxFault] = []
        var requests: [SandboxRequest] = []
        var recordRequests: Bool
    }

    let contents: Mutex<Contents>

    init(configuration: SandboxConfiguration) {
        contents = Mutex(
            Contents(
                buildr: BuildrSandboxAPI(
                    clientID: configuration.buildrClientID, clientSecret: configuration.buildrClientSecret,
                    contacts: configuration.seed.buildrContacts, rateLimited: configuration.rateLimits),
                plannr: PlannrSandboxAPI(
                    token: configuration.plannrToken, firmAccountUUID: configuration.plannrAccountUUID,
                    clientAccounts: configuration.seed.plannrClientAccounts, rateLimited: configuration.rateLimits),
                omnichannel: OmnichannelSandboxAPI(
                    apiKey: configuration.omnichannelAPIKey, contacts: configuration.seed.omnichannelContacts,
                    createUnknown: configuration.createUnknownContacts),
                recordRequests: configuration.recordRequests))
    }

    /// What to do with a request: a fault's action, or the API's answer.
    enum Decision: Sendable {
        case respond(SandboxResponse, delay: Duration?)
        case drop
    }

    func decide(method: String, path: String, headers: [HeaderField], body: [UInt8]) -> Decision {
        contents.withLock { state in
            var delay: Duration?
            var generator = SystemRandomNumberGenerator()
            if let index = state.faults.firstIndex(where: { $0.matches(method: method, path: path) && $0.fires(using: &generator) }) {
                let fault = state.faults[index]
                state.faults[index].count -= 1
                if state.faults[index].count <= 0 { state.faults.remove(at: index) }
                switch fault.action {
                case .respond(let status, let answerHeaders, let answerBody):
                    // The request as it came (its headers and body), with the fault's status.
                    record(&state, method, path, headers, body: body, status: status)
                    return .respond(.json(status, answerBody, headers: answerHeaders), delay: nil)
                case .drop:
                    record(&state, method, path, headers, body: body, status: nil)
                    return .drop
                case .delay(let duration):
                    delay = duration
                }
            }
            let response = route(&state, method: method, path: path, headers: headers, body: body)
            record(&state, method, path, headers, body: body, status: response.status)
            return .respond(response, delay: delay)
        }
    }

    private func record(_ state: inout Contents, _ method: String, _ path: String, _ headers: [HeaderField], body: [UInt8], status: Int?) {
        guard state.recordRequests else { return }
        state.requests.append(SandboxRequest(method: method, path: path, headers: headers, body: body, receivedAt: .now, status: status))
    }

    private func route(_ state: inout Contents, method: String, path: String, headers: [HeaderField], body: [UInt8]) -> SandboxResponse {
        if path.hasPrefix("/buildr/") {
            return state.buildr.handle(method: method, path: String(path.dropFirst("/buildr".count)), headers: headers, body: body)
        }
        if path.hasPrefix("/plannr/api/v2/") {
            return state.plannr.handle(method: method, path: String(path.dropFirst("/plannr/api/v2".count)), headers: headers, body: body)
        }
        if path.hasPrefix("/omnichannel/") {
            return state.omnichannel.handle(method: method, path: String(path.dropFirst("/omnichannel".count)), headers: headers, body: body)
        }
        // The same omnichannel API under a second path, for two targets of that kind whose faults
        // differ (a fault matches a path prefix).
        if path.hasPrefix("/omnichannel-b/") {
            return state.omnichannel.handle(method: method, path: String(path.dropFirst("/omnichannel-b".count)), headers: headers, body: body)
        }
        return .json(404, ["error": "the sandbox serves /buildr/…, /plannr/api/v2/…, /omnichannel/… and /omnichannel-b/…"])
    }
}
