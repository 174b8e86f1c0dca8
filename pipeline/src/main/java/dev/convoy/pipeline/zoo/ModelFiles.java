package dev.convoy.pipeline.zoo;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.ExternalDataFiles;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * A zoo model as a local file a reader can open: the file itself where it is local, else a copy
 * on this worker with the ONNX external data files it names copied beside it (from beside the
 * model on its filesystem), so that the importer and ONNX Runtime find its weights as they would
 * next to the original.
 */
public final class ModelFiles {
  private ModelFiles() {}

  /** The local file of the model at {@code location}, its external data beside it. */
  public static Path local(String location) {
    return Storage.localCopy(location, ModelFiles::externalData);
  }

  private static Collection<String> externalData(Path copy) {
    try {
      return ModelFormat.sniff(copy) == ModelFormat.ONNX ? ExternalDataFiles.of(copy) : List.of();
    } catch (ConvoyException e) {
      // Not a readable model: the importer reports what is wrong with it.
      return List.of();
    }
  }
}
