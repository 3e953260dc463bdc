import HooklineCore

/// What became of one redriven event.
package struct RedriveResult: Sendable, Hashable {
    package var event: String
    /// The targets queued again.
    package var targets: [String]
    /// Why it (or some of its targets) was not queued, if so.
    package var problem: String?

    package init(event: String, targets: [String], problem: String? = nil) {
        self.event = event
        self.targets = targets
        self.problem = problem
    }

    var json: JSONValue {
        var object: JSONObject = ["event": .string(event), "targets": .array(targets.map(JSONValue.string))]
        if let problem { object["problem"] = .string(problem) }
        return .object(object)
    }

    init?(json: JSONValue) {
        guard let event = json["event"]?.stringValue else { return nil }
        self.init(
            event: event, targets: json["targets"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            problem: json["problem"]?.stringValue)
    }
}
