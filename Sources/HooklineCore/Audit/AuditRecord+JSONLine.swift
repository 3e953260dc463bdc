extension AuditRecord {
    /// The record as one JSON line, newline included.
    package var jsonLine: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(160 + (payload?.count ?? 0) * 11 / 10)
        appendJSONLine(to: &output)
        return output
    }

    /// Appends the record as one JSON line (newline included) to `output`.
    package func appendJSONLine(to output: inout [UInt8]) {
        output.append(contentsOf: #"{"ts":""#.utf8)
        ts.appendRFC3339(to: &output)
        output.append(contentsOf: #"","outcome":""#.utf8)
        output.append(contentsOf: outcome.rawValue.utf8)
        output.append(UInt8(ascii: "\""))
        func string(_ key: String, _ value: String?) {
            guard let value else { return }
            output.append(contentsOf: ",\"\(key)\":".utf8)
            JSONWriter.writeString(value, into: &output)
        }
        func number(_ key: String, _ value: Int?) {
            guard let value else { return }
            output.append(contentsOf: ",\"\(key)\":\(value)".utf8)
        }
        string("event", event)
        string("message", message)
        string("source", source)
        string("type", type)
        string("contact", contact)
        string("target", target)
        if let targets {
            output.append(contentsOf: #","targets":"#.utf8)
            JSONWriter.write(.array(targets.map(JSONValue.string)), into: &output)
        }
        number("attempt", attempt)
        number("status", status)
        number("ms", ms)
        number("retry_in_ms", retryInMs)
        number("count", count)
        string("request", request)
        string("ref", ref)
        string("ref_key", refKey)
        string("into", into)
        string("reason", reason)
        string("error", error)
        string("remote", remote)
        if let payload {
            output.append(contentsOf: #","payload":""#.utf8)
            JSONWriter.writeEscaped(payload, into: &output)
            output.append(UInt8(ascii: "\""))
        }
        output.append(contentsOf: "}\n".utf8)
    }

    /// Reads one audit line (without or with its newline).
    package init(jsonLine bytes: some Collection<UInt8>) throws(AuditLineError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(bytes))
        } catch {
            throw AuditLineError(problem: error.description)
        }
        try self.init(json: value)
    }

    /// Reads an audit line already parsed as JSON.
    package init(json value: JSONValue) throws(AuditLineError) {
        guard case .object(let object) = value else { throw AuditLineError(problem: "not a JSON object") }
        guard let tsText = object["ts"]?.stringValue, let ts = UnixTime(rfc3339: tsText) else {
            throw AuditLineError(problem: "no valid ts")
        }
        guard let outcomeText = object["outcome"]?.stringValue, let outcome = AuditOutcome(rawValue: outcomeText) else {
            throw AuditLineError(problem: "no known outcome")
        }
        self.init(ts: ts, outcome: outcome)
        event = object["event"]?.stringValue
        message = object["message"]?.stringValue
        source = object["source"]?.stringValue
        type = object["type"]?.stringValue
        contact = object["contact"]?.stringValue
        target = object["target"]?.stringValue
        targets = object["targets"]?.arrayValue?.compactMap(\.stringValue)
        attempt = object["attempt"]?.intValue
        status = object["status"]?.intValue
        ms = object["ms"]?.intValue
        retryInMs = object["retry_in_ms"]?.intValue
        count = object["count"]?.intValue
        request = object["request"]?.stringValue
        ref = object["ref"]?.stringValue
        refKey = object["ref_key"]?.stringValue
        into = object["into"]?.stringValue
        reason = object["reason"]?.stringValue
        error = object["error"]?.stringValue
        remote = object["remote"]?.stringValue
        payload = object["payload"]?.stringValue.map { Array($0.utf8) }
    }
}

/// A line of the audit log that cannot be read.
package struct AuditLineError: Error, Sendable, Hashable, CustomStringConvertible {
    package let problem: String
    package var description: String { "unreadable audit line: \(problem)" }
}
