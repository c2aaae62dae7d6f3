/* The version memlens reports with --version. */
#ifndef MEMLENS_VERSION_H
#define MEMLENS_VERSION_H
#define MEMLENS_VERSION "0.1.0"
#endif
