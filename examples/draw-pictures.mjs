#!/usr/bin/env node
// Draws pictures with the library alone: the first ten test images titled by class (d2l §3.5
// show_images), and, given a model file, its weight rows as 28×28 templates.
//
//   node examples/draw-pictures.mjs [out-dir] [model-file]   (default: the current directory)
//
// Writes OUT-DIR/test-images.png, and OUT-DIR/weights.png when a model is given. The data comes from
// the cache ($SOFTMAX_DATA_DIR, else ~/.cache/softmax), else Debian's package (downloaded when
// neither has it).
import { join } from "node:path";
import { loadFashionMnist, loadModel, NUM_INPUTS, renderWeightTemplates, showImages, writeFileAtomic } from "softmax";

const [outDir = ".", modelFile] = process.argv.slice(2);
const data = await loadFashionMnist({});

const images = [];
const titles = [];
for (let i = 0; i < 10; i++) {
  images.push(data.test.images.subarray(i * NUM_INPUTS, (i + 1) * NUM_INPUTS));
  titles.push(data.classes[data.test.labels[i]]);
}
const samples = join(outDir, "test-images.png");
await writeFileAtomic(samples, showImages(images, titles, { scale: 2 }));
console.log(`wrote ${samples}`);

if (modelFile !== undefined) {
  const { params } = await loadModel(modelFile);
  const weights = join(outDir, "weights.png");
  await writeFileAtomic(weights, renderWeightTemplates(params.weight, data.classes));
  console.log(`wrote ${weights}`);
}
