/*
 * Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements.  See the NOTICE file distributed with
 * this work for additional information regarding copyright ownership.
 * The ASF licenses this file to You under the Apache License, Version 2.0
 * (the "License"); you may not use this file except in compliance with
 * the License.  You may obtain a copy of the License at
 *
 *    http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

package org.apache.spark.graphframes.graphx.lib
import org.apache.spark.graphframes.graphx.*

import scala.annotation.nowarn
import scala.reflect.ClassTag

/** Connected components algorithm. */
object ConnectedComponents {

  /**
   * Compute the connected component membership of each vertex and return a graph with the vertex
   * value containing the lowest vertex id in the connected component containing that vertex.
   *
   * @tparam VD
   *   the vertex attribute type (discarded in the computation)
   * @tparam ED
   *   the edge attribute type (preserved in the computation)
   * @param graph
   *   the graph for which to compute the connected components
   * @param maxIterations
   *   the maximum number of iterations to run for
   * @return
   *   a graph with vertex attributes containing the smallest vertex in each connected component
   */
  @nowarn
  def run[VD: ClassTag, ED: ClassTag](
      graph: Graph[VD, ED],
      maxIterations: Int): Graph[VertexId, ED] = {
    require(
      maxIterations > 0,
      "Maximum of iterations must be greater than 0," +
        s" but got ${maxIterations}")

    val ccGraph = graph.mapVertices { case (vid, _) => vid }
    def sendMessage(edge: EdgeTriplet[VertexId, ED]): Iterator[(VertexId, VertexId)] = {
      if (edge.srcAttr < edge.dstAttr) {
        Iterator((edge.dstId, edge.srcAttr))
      } else if (edge.srcAttr > edge.dstAttr) {
        Iterator((edge.srcId, edge.dstAttr))
      } else {
        Iterator.empty
      }
    }
    val initialMessage = Long.MaxValue
    val pregelGraph = Pregel(ccGraph, initialMessage, maxIterations, EdgeDirection.Either)(
      vprog = (_, attr, msg) => math.min(attr, msg),
      sendMsg = sendMessage,
      mergeMsg = (a, b) => math.min(a, b))
    ccGraph.unpersist()
    pregelGraph
  } // end of connectedComponents

  /**
   * Compute the connected component membership of each vertex and return a graph with the vertex
   * value containing the lowest vertex id in the connected component containing that vertex.
   *
   * @tparam VD
   *   the vertex attribute type (discarded in the computation)
   * @tparam ED
   *   the edge attribute type (preserved in the computation)
   * @param graph
   *   the graph for which to compute the connected components
   * @return
   *   a graph with vertex attributes containing the smallest vertex in each connected component
   */
  def run[VD: ClassTag, ED: ClassTag](graph: Graph[VD, ED]): Graph[VertexId, ED] = {
    run(graph, Int.MaxValue)
  }
}
