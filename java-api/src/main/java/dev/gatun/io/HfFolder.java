package dev.gatun.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * A Hugging Face model folder: {@code config.json} plus either {@code model.safetensors} or
 * the shards listed by {@code model.safetensors.index.json}.
 */
final class HfFolder {
    static final String CONFIG = "config.json";
    static final String WEIGHTS = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    final Path dir;
    final HfConfig config;
    private final Map<String, SafeTensors> fileOf;

    private HfFolder(Path dir, HfConfig config, Map<String, SafeTensors> fileOf) {
        this.dir = dir;
        this.config = config;
        this.fileOf = fileOf;
    }

    /**
     * Reads the config, checks that its model_type is {@code modelType}, and maps every
     * safetensors file of {@code dir} into {@code scope}.
     */
    static HfFolder open(Path dir, String modelType, String loader, Scope scope) {
        HfConfig config = HfConfig.read(dir.resolve(CONFIG));
        if (!config.modelType().equals(modelType)) {
            throw new ModelFormatException(dir.resolve(CONFIG), "model_type is \""
                    + config.modelType() + "\", " + loader + " reads \"" + modelType + "\"");
        }
        Map<String, SafeTensors> fileOf = new HashMap<>();
        Path single = dir.resolve(WEIGHTS);
        Path index = dir.resolve(INDEX);
        if (Files.exists(single)) {
            SafeTensors st = SafeTensors.open(single, scope);
            st.names().forEach(n -> fileOf.put(n, st));
        } else if (Files.exists(index)) {
            Map<String, SafeTensors> shards = new HashMap<>();
            for (Map.Entry<String, String> e : weightMap(index).entrySet()) {
                SafeTensors st = shards.computeIfAbsent(e.getValue(),
                        f -> SafeTensors.open(dir.resolve(f), scope));
                if (!st.contains(e.getKey())) {
                    throw new ModelFormatException(index.toString(), e.getKey(), "listed in"
                            + " weight_map under " + e.getValue() + ", which does not hold it");
                }
                fileOf.put(e.getKey(), st);
            }
        } else {
            throw new ModelFormatException(dir, "holds neither " + WEIGHTS + " nor " + INDEX);
        }
        return new HfFolder(dir, config, fileOf);
    }

    boolean contains(String name) {
        return fileOf.containsKey(name);
    }

    /** The tensor {@code name} of whichever file holds it. */
    Tensor get(String name) {
        SafeTensors st = fileOf.get(name);
        if (st == null) {
            throw new ModelFormatException(dir.toString(), name, "missing from the model's"
                    + " safetensors (" + fileOf.size() + " tensors present"
                    + SafeTensors.sample(new TreeSet<>(fileOf.keySet())) + ")");
        }
        return st.get(name);
    }

    /** The file that holds {@code name}, for messages. */
    String fileOf(String name) {
        SafeTensors st = fileOf.get(name);
        return st == null ? dir.toString() : st.file().toString();
    }

    /**
     * Looks up every expected weight (under {@code prefix + name} if the plain name is
     * absent) and checks its shape and that its dtype is floating.
     */
    Map<String, Tensor> expect(Map<String, long[]> shapes, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            String name = e.getKey();
            String stored = contains(name) || !contains(prefix + name) ? name : prefix + name;
            Tensor t = get(stored);
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new ModelFormatException(fileOf(stored), stored, "shape "
                        + Arrays.toString(t.shape()) + " differs from "
                        + Arrays.toString(e.getValue()) + " that " + CONFIG + " implies");
            }
            if (!t.dtype().isFloating()) {
                throw new ModelFormatException(fileOf(stored), stored, "dtype " + t.dtype()
                        + " is not floating");
            }
            out.put(name, t);
        }
        return out;
    }

    private static Map<String, String> weightMap(Path index) {
        JsonNode root = Json.parseObject(index.toString(), INDEX,
                Json.readAll("HfFolder.open", index));
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new ModelFormatException(index, "needs a weight_map object of name -> file");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String f = e.getValue().asText("");
            if (!e.getValue().isTextual() || f.isEmpty() || f.contains("/") || f.contains("\\")) {
                throw new ModelFormatException(index.toString(), e.getKey(), "weight_map value"
                        + " must be a file name in the same folder, got " + e.getValue());
            }
            out.put(e.getKey(), f);
        }
        return out;
    }
}
