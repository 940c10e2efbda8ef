#!/usr/bin/env node
// Trains softmax regression on Fashion-MNIST for 3 epochs through the library, saves the model with
// its training record (so that `softmax train --resume MODEL` can continue it), loads it back and
// classifies the first five test images (d2l §3.6: train_ch3, then predict_ch3).
//
//   node examples/train-and-predict.mjs [model-file]      (default: example.safetensors)
//
// The data comes from the cache ($SOFTMAX_DATA_DIR, else ~/.cache/softmax), else Debian's package,
// and is downloaded when neither has it. Uses only the public API, as any program that depends on softmax would.
import {
  createBackend,
  DEFAULT_BACKEND,
  initParams,
  loadFashionMnist,
  loadModel,
  NUM_INPUTS,
  predict,
  saveTrainedModel,
  train,
} from "softmax";

const modelFile = process.argv[2] ?? "example.safetensors";
const data = await loadFashionMnist({});

// Any hyperparameter left out takes its default (the flags' defaults of `softmax train`).
const params = initParams(0);
const backend = await createBackend(DEFAULT_BACKEND, { threads: 2 });
let result;
try {
  result = await train(
    backend,
    data,
    params,
    { epochs: 3, lr: 0.1, batchSize: 256 },
    {
      onEpoch: (e) =>
        console.log(`epoch ${e.epoch}/${e.epochs}  loss ${e.trainLoss.toFixed(4)}  test acc ${e.testAcc.toFixed(3)}`),
    },
  );
} finally {
  await backend.close();
}
await saveTrainedModel(modelFile, params, result.record, data.classes);
console.log(`saved ${modelFile}`);

const model = await loadModel(modelFile);
const first = data.test.images.subarray(0, 5 * NUM_INPUTS); // five images, pixels 0..255
for (const [i, prediction] of predict(model.params, first).entries()) {
  const best = prediction.ranked[0];
  const truth = data.classes[data.test.labels[i]];
  console.log(`${i}\t${truth}\t${data.classes[best]}\t${prediction.probabilities[best].toFixed(3)}`);
}
