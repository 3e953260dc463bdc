/// Read access to a request's header fields, so signature schemes work on NIO's headers,
/// a CLI's list or a test's literal alike.
package protocol HeaderFields {
    /// Every value sent for `name`, compared case-insensitively, in the order received.
    func values(forName name: String) -> [String]

    /// The first value sent for `name`, if any (a conformer can find it without the array).
    func first(_ name: String) -> String?

    /// Calls `body` with every value sent for `name`, in order (a conformer can do it without
    /// the array).
    func forEachValue(forName name: String, _ body: (String) -> Void)
}

extension HeaderFields {
    package func first(_ name: String) -> String? { values(forName: name).first }

    package func forEachValue(forName name: String, _ body: (String) -> Void) {
        for value in values(forName: name) { body(value) }
    }
}

/// One header field, name and value.
package struct HeaderField: Sendable, Hashable {
    package var name: String
    package var value: String

    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An ordered list of header fields.
package struct HeaderList: HeaderFields, Sendable, Hashable, ExpressibleByDictionaryLiteral {
    package var fields: [HeaderField]

    package init(_ fields: [HeaderField] = []) { self.fields = fields }

    package init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { HeaderField(name: $0.0, value: $0.1) }
    }

    package func values(forName name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
}
