// swift-tools-version:5.9
// HcPresentation: the iOS shell's platform-free screen models (no UIKit, SwiftUI, AVFoundation or
// Combine), over the HcCore package one folder up. It compiles and is tested on Linux
// (ios/scripts/test-presentation.sh); the app target in ios/App links it on iOS.
//
// Swift 5 language mode, like HcCore: Debian's Swift 6.0.3 crashes on uniffi's async foreign traits
// in Swift 6 mode.
import PackageDescription

let package = Package(
    name: "HcPresentation",
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "HcPresentation", targets: ["HcPresentation"]),
    ],
    dependencies: [
        .package(name: "HcCore", path: ".."),
    ],
    targets: [
        .target(
            name: "HcPresentation",
            dependencies: [.product(name: "HcCore", package: "HcCore")],
            path: "Sources/HcPresentation"
        ),
        .testTarget(
            name: "HcPresentationTests",
            dependencies: ["HcPresentation", .product(name: "HcTestKit", package: "HcCore")],
            path: "Tests/HcPresentationTests"
        ),
    ]
)
