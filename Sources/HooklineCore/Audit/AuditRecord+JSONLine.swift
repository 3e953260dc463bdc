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
        // Keys from static text and numbers as digits: no String is built per field.
        func key(_ name: StaticString) {
            output.append(UInt8(ascii: ","))
            output.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { output.append(contentsOf: $0) }
            output.append(UInt8(ascii: "\""))
            output.append(UInt8(ascii: ":"))
        }
        func string(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            JSONWriter.writeString(value, into: &output)
        }
        func number(_ name: StaticString, _ value: Int?) {
            guard let value else { return }
            key(name)
            JSONWriter.writeInteger(value, into: &output)
        }
        string("event", event)
        string("message", message)
        string("source", source)
        string("type", type)
        string("contact", contact)
        string("target", target)
        if let targets {
            key("targets")
            output.append(UInt8(ascii: "["))
            for (index, target) in targets.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(target, into: &output)
            }
            output.append(UInt8(ascii: "]"))
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
        string("by", by)
        string("trace", trace)
        string("payload_kept", payloadKept?.rawValue)
        if let erased {
            key("erased")
            output.append(UInt8(ascii: "\""))
            erased.appendRFC3339(to: &output)
            output.append(UInt8(ascii: "\""))
        }
        string("erased_reason", erasedReason)
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
        // A field of the wrong type makes the line unreadable, as it does for AuditLineScanner.
        func string(_ key: String) throws(AuditLineError) -> String? {
            guard let value = object[key] else { return nil }
            guard case .string(let text) = value else { throw AuditLineError(problem: "\(key) is not a string") }
            return text
        }
        func integer(_ key: String) throws(AuditLineError) -> Int? {
            guard let value = object[key] else { return nil }
            guard let number = value.intValue else { throw AuditLineError(problem: "\(key) is not an integer") }
            return number
        }
        event = try string("event")
        message = try string("message")
        source = try string("source")
        type = try string("type")
        contact = try string("contact")
        target = try string("target")
        if let list = object["targets"] {
            guard let items = list.arrayValue else { throw AuditLineError(problem: "targets is not a list") }
            targets = try items.map { item throws(AuditLineError) in
                guard case .string(let text) = item else { throw AuditLineError(problem: "targets holds a value that is not a string") }
                return text
            }
        }
        attempt = try integer("attempt")
        status = try integer("status")
        ms = try integer("ms")
        retryInMs = try integer("retry_in_ms")
        count = try integer("count")
        request = try string("request")
        ref = try string("ref")
        refKey = try string("ref_key")
        into = try string("into")
        reason = try string("reason")
        error = try string("error")
        remote = try string("remote")
        by = try string("by")
        trace = try string("trace")
        if let kept = try string("payload_kept") {
            guard let known = PayloadKept(rawValue: kept) else { throw AuditLineError(problem: "payload_kept is not redacted or none") }
            payloadKept = known
        }
        if let text = try string("erased") {
            guard let time = UnixTime(rfc3339: text) else { throw AuditLineError(problem: "erased is not an RFC 3339 time") }
            erased = time
        }
        erasedReason = try string("erased_reason")
        payload = try string("payload").map { Array($0.utf8) }
    }
}

/// A line of the audit log that cannot be read.
package struct AuditLineError: Error, Sendable, Hashable, CustomStringConvertible {
    package let problem: String
    package var description: String { "unreadable audit line: \(problem)" }
}
