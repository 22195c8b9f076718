# Darknet's library objects as upstream's Makefile lists them (OBJ), minus utils.c (compiled via
# native/compat/utils_tu.c), image_opencv.cpp (OpenCV builds only) and demo.c (webcam demo).
set(_dn_objs gemm cuda deconvolutional_layer convolutional_layer list image activations im2col
  col2im blas crop_layer dropout_layer maxpool_layer softmax_layer data matrix network
  connected_layer cost_layer parser option_list detection_layer route_layer upsample_layer box
  normalization_layer avgpool_layer layer local_layer shortcut_layer logistic_layer
  activation_layer rnn_layer gru_layer crnn_layer batchnorm_layer region_layer reorg_layer tree
  lstm_layer l2norm_layer yolo_layer iseg_layer)
set(DARKNET_C_SOURCES "")
foreach(_o ${_dn_objs})
  list(APPEND DARKNET_C_SOURCES "${DARKNET_SRC}/src/${_o}.c")
endforeach()
