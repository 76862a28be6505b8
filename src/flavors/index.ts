// Importing this module registers every built-in flavor; each folder registers itself on import.
import './js_function/index.js';
import './lightgbm/index.js';
import './onnx/index.js';
import './python_function/index.js';
import './h2o/index.js';
import './sklearn/index.js';
import './tensorflow/index.js';
import './tfjs/index.js';
import './spark/index.js';
import './xgboost/index.js';
