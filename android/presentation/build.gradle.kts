// :presentation — the screen models (login, devices, add device, Reset Device Password), the HcError
// -> message mapping, the countdown and the code grouping. No Android API: android/scripts/
// test-presentation.sh compiles these sources with plain kotlinc (no android.jar) and tests them on
// the desktop JVM against the real core, cloud and NVR simulator. It is an Android *library* in Gradle
// only because it depends on :hc-core, which is one (the generated bindings use Android APIs).
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "org.hc.presentation"
    compileSdk = 36
    defaultConfig { minSdk = 26 }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    // The shared Kotlin test kit, also compiled into :hc-core's binding tests.
    sourceSets["test"].java.srcDir(rootProject.file("testkit/kotlin"))
    testOptions.unitTests.all {
        it.useJUnitPlatform()
        it.systemProperty("hc.android.res", rootProject.file("app/src/main/res").path)
        it.systemProperty("jna.library.path", (System.getenv("CARGO_TARGET_DIR") ?: rootDir.parentFile.resolve("target").path) + "/debug")
        // Against a running hc-cloud and NVRs (android/scripts/test-presentation.sh sets HC_TEST_*):
        // skipped, not failed, by a plain `./gradlew build`.
        it.onlyIf("HC_TEST_CLOUD_URL is set") { System.getenv("HC_TEST_CLOUD_URL") != null }
    }
}
kotlin { compilerOptions { jvmTarget = JvmTarget.JVM_17 } }

dependencies {
    api(project(":hc-core"))
    api(libs.kotlinx.coroutines.core)
    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test.junit5)
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}
