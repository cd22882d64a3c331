import './digit-stream-app.js';
