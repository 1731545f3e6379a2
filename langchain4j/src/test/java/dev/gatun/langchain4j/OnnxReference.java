package dev.gatun.langchain4j;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** all-MiniLM-L6-v2 in ONNX Runtime: one sequence's hidden states averaged in float64. */
final class OnnxReference implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OnnxReference(InputStream onnx) throws IOException, OrtException {
        try (onnx) {
            session = env.createSession(onnx.readAllBytes());
        }
    }

    /** ids [T] with [CLS] and [SEP] -> the mean over T of the last hidden state, [C]. */
    double[] meanPool(long[] ids) throws OrtException {
        long[][] input = {ids};
        long[][] mask = {new long[ids.length]};
        Arrays.fill(mask[0], 1);
        long[][] types = {new long[ids.length]};
        try (OnnxTensor i = OnnxTensor.createTensor(env, input);
             OnnxTensor m = OnnxTensor.createTensor(env, mask);
             OnnxTensor t = OnnxTensor.createTensor(env, types)) {
            Map<String, OnnxTensor> feed = new HashMap<>();
            feed.put("input_ids", i);
            feed.put("attention_mask", m);
            if (session.getInputNames().contains("token_type_ids")) {
                feed.put("token_type_ids", t);
            }
            try (OrtSession.Result r = session.run(feed)) {
                float[][] hidden = ((float[][][]) r.get(0).getValue())[0]; // [T, C]
                double[] mean = new double[hidden[0].length];
                for (float[] row : hidden) {
                    for (int k = 0; k < mean.length; k++) {
                        mean[k] += row[k];
                    }
                }
                for (int k = 0; k < mean.length; k++) {
                    mean[k] /= hidden.length;
                }
                return mean;
            }
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
