import HcCore

// The core decides every message (HcCore's MessageId and UiMessage) and what each error offers next
// (ErrorAction); the app only words them: Localizable.strings (en, zh-Hans) under `id.key`.

extension MessageId {
    /// The key of the message's words in Localizable.strings (the same key as Android's strings.xml).
    public var key: String { messageKey(id: self) }
}

extension UiMessage: CustomStringConvertible {
    public var description: String { "\(id.key)\(args)" }
}

/// Rows of the device list are identified by their serial (SwiftUI's `ForEach`).
extension DeviceRow: Identifiable {
    public var id: String { serial }
}

/// Any error thrown by a core call, as the core's error (a non-core error is not expected: it is
/// shown as a network error).
func hcError(_ error: Error) -> HcError {
    (error as? HcError) ?? .Network(detail: "\(error)")
}
