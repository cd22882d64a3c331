/**
 * Types for the part of opencv-wasm this project uses. The package's own types are a .ts file in a
 * CommonJS package, which TypeScript refuses under NodeNext with verbatimModuleSyntax; server/ml/opencv.ts
 * loads the package with require() and gives it these types. Add members as the code needs them.
 */
declare namespace OpenCvWasm {
  class Mat {
    constructor();
    constructor(rows: number, cols: number, type: number);
    constructor(rows: number, cols: number, type: number, scalar: Scalar);
    readonly rows: number;
    readonly cols: number;
    readonly data: Uint8Array;
    readonly data32F: Float32Array;
    readonly data32S: Int32Array;
    readonly data64F: Float64Array;
    roi(rect: Rect): Mat;
    copyTo(destination: Mat): void;
    convertTo(destination: Mat, type: number, alpha?: number, beta?: number): void;
    type(): number;
    delete(): void;
    intAt(row: number, col: number): number;
  }
  class Size {
    constructor(width: number, height: number);
    width: number;
    height: number;
  }
  class Rect {
    constructor(x: number, y: number, width: number, height: number);
  }
  class Scalar {
    constructor(v0: number, v1?: number, v2?: number, v3?: number);
  }
  class MatVector {
    constructor();
    size(): number;
    get(index: number): Mat;
    delete(): void;
  }
  class Point {
    constructor(x: number, y: number);
  }
  const CV_8U: number;
  const CV_8UC1: number;
  const CV_32F: number;
  const CV_32S: number;
  const CV_64F: number;
  const CV_32FC2: number;
  const CV_32SC2: number;
  const CV_32FC3: number;
  const BORDER_REFLECT: number;
  const BORDER_REPLICATE: number;
  const INTER_AREA: number;
  const INTER_LINEAR: number;
  const INTER_CUBIC: number;
  const INTER_NEAREST: number;
  const BORDER_CONSTANT: number;
  const MORPH_ELLIPSE: number;
  const MORPH_RECT: number;
  const MORPH_DILATE: number;
  const MORPH_ERODE: number;
  const MORPH_OPEN: number;
  const MORPH_CLOSE: number;
  const THRESH_BINARY: number;
  const THRESH_BINARY_INV: number;
  const THRESH_OTSU: number;
  const CC_STAT_LEFT: number;
  const CC_STAT_TOP: number;
  const CC_STAT_WIDTH: number;
  const CC_STAT_HEIGHT: number;
  const CC_STAT_AREA: number;
  function matFromArray(rows: number, cols: number, type: number, values: ArrayLike<number>): Mat;
  function resize(source: Mat, destination: Mat, size: Size, fx?: number, fy?: number, interpolation?: number): void;
  function warpAffine(source: Mat, destination: Mat, transform: Mat, size: Size, flags?: number, borderMode?: number, borderValue?: Scalar): void;
  function getStructuringElement(shape: number, size: Size): Mat;
  function morphologyEx(source: Mat, destination: Mat, operation: number, kernel: Mat): void;
  function threshold(source: Mat, destination: Mat, threshold: number, maxValue: number, type: number): number;
  function GaussianBlur(source: Mat, destination: Mat, size: Size, sigmaX: number, sigmaY?: number, borderType?: number): void;
  function blur(source: Mat, destination: Mat, size: Size, anchor?: Point, borderType?: number): void;
  function subtract(a: Mat, b: Mat, destination: Mat): void;
  function bitwise_not(source: Mat, destination: Mat): void;
  function line(image: Mat, from: Point, to: Point, color: Scalar, thickness?: number, lineType?: number): void;
  function rectangle(image: Mat, from: Point, to: Point, color: Scalar, thickness?: number, lineType?: number): void;
  function circle(image: Mat, centre: Point, radius: number, color: Scalar, thickness?: number, lineType?: number): void;
  function ellipse(
    image: Mat,
    centre: Point,
    axes: Size,
    angle: number,
    startAngle: number,
    endAngle: number,
    color: Scalar,
    thickness?: number,
    lineType?: number,
  ): void;
  function fillConvexPoly(image: Mat, points: Mat, color: Scalar, lineType?: number): void;
  function warpPerspective(source: Mat, destination: Mat, transform: Mat, size: Size, flags?: number, borderMode?: number, borderValue?: Scalar): void;
  function getPerspectiveTransform(from: Mat, to: Mat): Mat;
  const LINE_AA: number;
  function connectedComponents(image: Mat, labels: Mat, connectivity?: number, labelType?: number): number;
  const DIST_L2: number;
  const RETR_EXTERNAL: number;
  const CHAIN_APPROX_SIMPLE: number;
  const CHAIN_APPROX_NONE: number;
  function findContours(image: Mat, contours: MatVector, hierarchy: Mat, mode: number, method: number): void;
  function contourArea(contour: Mat): number;
  function approxPolyDP(curve: Mat, approximation: Mat, epsilon: number, closed: boolean): void;
  function convexHull(points: Mat, hull: Mat): void;
  function fitEllipse(points: Mat): { center: { x: number; y: number }; size: { width: number; height: number }; angle: number };
  function distanceTransform(source: Mat, destination: Mat, distanceType: number, maskSize: number): void;
  function connectedComponentsWithStats(image: Mat, labels: Mat, stats: Mat, centroids: Mat, connectivity?: number, labelType?: number): number;
}
