export { validateFileName, MAX_NAME_BYTES } from './file-name.js';
export { createFile, deleteFile, openDataFile, DATA_FILE_DEFAULTS } from './data-files.js';
export { sweepStaleTempFiles } from './temp-files.js';
