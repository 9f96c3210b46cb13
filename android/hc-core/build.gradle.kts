// :hc-core — the app core for Android: the Kotlin bindings generated from the Rust crate hc-ffi
// (build output, never committed) and libhc_ffi.so for each ABI, built with cargo-ndk.
//
//   ./gradlew :hc-core:assembleRelease      runs both tasks below, then packages the AAR
//
// Needs on the workstation: rustup with the Android targets, cargo-ndk, and the NDK pinned in
// gradle/libs.versions.toml (see android/README.md).
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

val osName: String = System.getProperty("os.name").lowercase()
val isWindows = osName.startsWith("windows")
val isMac = osName.startsWith("mac")
val repoRoot: File = rootDir.parentFile
val cargoTargetDir: File = System.getenv("CARGO_TARGET_DIR")?.let(::File) ?: repoRoot.resolve("target")
val generatedKotlin: Provider<Directory> = layout.buildDirectory.dir("generated/uniffi/kotlin")
val generatedJniLibs: Provider<Directory> = layout.buildDirectory.dir("generated/jniLibs")
// The ABIs the app ships; the emulator on Apple silicon runs arm64-v8a, on Intel x86_64.
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")
// The phone library's cargo profile (Cargo.toml: opt-level "z", fat LTO, panic = "unwind").
val cargoProfile = providers.gradleProperty("hc.cargoProfile").getOrElse("mobile")
// Android Studio started from the Dock or a desktop launcher does not see the shell's PATH, so rustup's
// ~/.cargo/bin is looked up directly (CARGO_HOME or ~/.cargo), with plain `cargo` on PATH as fallback.
val cargoBin: File = File(System.getenv("CARGO_HOME") ?: "${System.getProperty("user.home")}/.cargo", "bin")
val cargo: String = cargoBin.resolve(if (isWindows) "cargo.exe" else "cargo")
    .takeIf { it.exists() }?.path ?: "cargo"
val cargoPath: String = listOfNotNull(cargoBin.path, System.getenv("PATH")).joinToString(File.pathSeparator)

android {
    namespace = "org.hc.core"
    compileSdk = 36
    ndkVersion = libs.versions.ndk.get()

    defaultConfig {
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].apply {
        java.srcDir(generatedKotlin)
        jniLibs.srcDir(generatedJniLibs)
    }
    // The shared Kotlin test kit, also compiled into :presentation's tests.
    sourceSets["test"].java.srcDir(rootProject.file("testkit/kotlin"))
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}
kotlin { compilerOptions { jvmTarget = JvmTarget.JVM_17 } }

dependencies {
    // JNA with its native dispatch library for every ABI (`jna:<v>@aar`); `api`: the generated classes
    // expose it.
    api(libs.jna) { artifact { type = "aar" } }
    api(libs.kotlinx.coroutines.core)
    // `android = true` bindings: the SystemCleaner is annotated @RequiresApi.
    implementation(libs.androidx.annotation)
}

/** Host build of hc-ffi and its pinned uniffi-bindgen: library mode reads the host library's metadata. */
val cargoBuildHost by tasks.registering(Exec::class) {
    group = "hc"
    description = "cargo build -p hc-ffi for the host (bindings metadata + uniffi-bindgen)"
    workingDir = repoRoot
    environment("PATH", cargoPath)
    commandLine(cargo, "build", "--locked", "-p", "hc-ffi")
    inputs.files(fileTree(repoRoot) { include("Cargo.toml", "Cargo.lock", "bindings/**", "core/**", "protocol/**") })
    outputs.upToDateWhen { false } // cargo is incremental; let it decide
}

val generateBindings by tasks.registering(Exec::class) {
    group = "hc"
    description = "uniffi-bindgen generate --language kotlin (android = true)"
    dependsOn(cargoBuildHost)
    val hostLib = cargoTargetDir.resolve(
        "debug/" + when {
            isMac -> "libhc_ffi.dylib"
            isWindows -> "hc_ffi.dll"
            else -> "libhc_ffi.so"
        },
    )
    val out = generatedKotlin.get().asFile
    workingDir = repoRoot // library mode runs `cargo metadata` to find bindings/uniffi.toml
    environment("PATH", cargoPath)
    doFirst { out.deleteRecursively() }
    commandLine(
        cargoTargetDir.resolve(if (isWindows) "debug/uniffi-bindgen.exe" else "debug/uniffi-bindgen").path,
        "generate", "--no-format",
        "--library", hostLib.path, "--language", "kotlin",
        // A global config whose [crates.hc_ffi] table is merged over bindings/uniffi.toml: only this
        // build targets Android APIs (android = true).
        "--config", project.file("uniffi-android.toml").path,
        "--out-dir", out.path,
    )
    outputs.dir(out)
}

val cargoNdk by tasks.registering(Exec::class) {
    group = "hc"
    description = "cargo ndk: libhc_ffi.so for ${abis.joinToString()}"
    val out = generatedJniLibs.get().asFile
    workingDir = repoRoot
    // The NDK pinned by `ndkVersion` (installed by the SDK manager), found the way AGP finds it.
    val ndk = androidComponents.sdkComponents.ndkDirectory
    environment("PATH", cargoPath)
    doFirst { environment("ANDROID_NDK_HOME", ndk.get().asFile.path) }
    commandLine(
        listOf(cargo, "ndk", "--platform", "26", "-o", out.path) + abis.flatMap { listOf("-t", it) } +
            listOf("build", "--locked", "-p", "hc-ffi", "--lib", "--profile", cargoProfile),
    )
    inputs.files(fileTree(repoRoot) { include("Cargo.toml", "Cargo.lock", "bindings/**", "core/**", "protocol/**") })
    outputs.dir(out)
    doLast {
        // Report the library size on every build (libsignal's habit): it is what users download.
        abis.forEach { abi ->
            val so = File(out, "$abi/libhc_ffi.so")
            logger.lifecycle("libhc_ffi.so [$abi]: ${so.length() / 1024} KiB")
        }
    }
}

tasks.named("preBuild") { dependsOn(generateBindings, cargoNdk) }

// The binding tests in src/test/kotlin (owned by the bindings harness) run on the desktop JVM against the
// host library and a running cloud + NVRs; bindings/scripts/test-kotlin.sh is the supported way to run
// them. Wired here so that the IDE compiles them.
android.testOptions.unitTests.all {
    it.useJUnitPlatform()
    it.systemProperty("jna.library.path", cargoTargetDir.resolve("debug").path)
    // They need a running hc-cloud and NVRs (the HC_TEST_* variables the script sets): without them
    // `./gradlew build` skips them instead of failing.
    it.onlyIf("HC_TEST_CLOUD_URL is set") { System.getenv("HC_TEST_CLOUD_URL") != null }
}
dependencies {
    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test.junit5)
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}
