import * as tfr from "@roboflow/tfrecords";
import { crc32c } from "@aws-crypto/crc32c";
import protobuf from "protobufjs";
console.log(Object.keys(tfr), typeof crc32c, typeof protobuf.parse);
