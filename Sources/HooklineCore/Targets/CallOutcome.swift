/// Why a call got no HTTP answer.
package struct TransportFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// False when the request surely never reached the target (connection refused, connect
    /// timeout): safe to retry even a POST. True when it may have (read timeout, connection lost).
    package let mayHaveReachedTarget: Bool
    package let description: String

    package init(mayHaveReachedTarget: Bool, description: String) {
        self.mayHaveReachedTarget = mayHaveReachedTarget
        self.description = description
    }
}

/// What happened to one call: the target's answer as its client classified it, or no answer.
package enum CallOutcome: Sendable, Hashable {
    case answered(TargetResponse, CallVerdict)
    case unreachable(TransportFailure)

    /// The HTTP status, when there was an answer.
    package var status: Int? {
        if case .answered(let response, _) = self { return response.status }
        return nil
    }
}
