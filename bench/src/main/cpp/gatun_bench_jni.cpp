// The JNI reference point for CallOverheadBenchmark: the same work as the FFM calls it sits
// beside (an empty call; a tiny elementwise add), reached through JNI instead of FFM.
// Bound by dev.gatun.bench.JniCalls; built by bench/pom.xml with g++ and the JDK's headers.
#include <jni.h>
#include <stdint.h>

extern "C" {

// int noop(): returns a constant, like gatun_abi_version.
JNIEXPORT jint JNICALL Java_dev_gatun_bench_JniCalls_noop(JNIEnv *, jclass) {
    return 1;
}

// void add(long a, long b, long dst, long n): dst[i] = a[i] + b[i], fp32, off-heap
// addresses, like gatun_binary(GATUN_BINARY_ADD, GATUN_F32, n, a, b, n, dst).
JNIEXPORT void JNICALL Java_dev_gatun_bench_JniCalls_add(JNIEnv *, jclass, jlong a, jlong b,
                                                         jlong dst, jlong n) {
    const float *x = reinterpret_cast<const float *>(a);
    const float *y = reinterpret_cast<const float *>(b);
    float *z = reinterpret_cast<float *>(dst);
    for (int64_t i = 0; i < n; i++) {
        z[i] = x[i] + y[i];
    }
}

// void addArrays(float[] a, float[] b, float[] dst): the same on Java arrays, pinned with
// GetPrimitiveArrayCritical (what FFM's critical(true) with heap segments compares to).
JNIEXPORT void JNICALL Java_dev_gatun_bench_JniCalls_addArrays(JNIEnv *env, jclass,
                                                               jfloatArray a, jfloatArray b,
                                                               jfloatArray dst) {
    jsize n = env->GetArrayLength(dst);
    float *x = static_cast<float *>(env->GetPrimitiveArrayCritical(a, nullptr));
    float *y = static_cast<float *>(env->GetPrimitiveArrayCritical(b, nullptr));
    float *z = static_cast<float *>(env->GetPrimitiveArrayCritical(dst, nullptr));
    for (jsize i = 0; i < n; i++) {
        z[i] = x[i] + y[i];
    }
    env->ReleasePrimitiveArrayCritical(dst, z, 0);
    env->ReleasePrimitiveArrayCritical(b, y, JNI_ABORT);
    env->ReleasePrimitiveArrayCritical(a, x, JNI_ABORT);
}

}  // extern "C"
